import { ValidationFailedError } from '@app/common';

/**
 * Keyset paging: `next_cursor` is opaque to callers (base64url of the last row's key), so the key may change
 * without breaking them. A cursor this API did not issue is a 400 naming `cursor`.
 */
export function encodeCursor(key: number | string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeCursor<T extends number | string>(
  cursor: string | undefined,
  kind: 'number' | 'string',
): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const { k } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k: unknown };
    if (typeof k === kind && (kind === 'string' || Number.isSafeInteger(k))) return k as T;
  } catch {
    // falls through to the refusal
  }
  const message = 'cursor must be a next_cursor this API returned (rule: cursor)';
  throw new ValidationFailedError(message, { cursor: [message] });
}
