import { DomainError } from '../errors/domain.error';

/** Every request body, on every route and the postback fast path: larger ones are refused with 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The validation pipe and class-transformer walk a body recursively: one nested thousands of levels deep would
 * overflow the stack. No request or postback shape nests anywhere near this.
 */
export const MAX_BODY_DEPTH = 64;

export function bodyTooLarge(): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than allowed (${BODY_LIMIT_BYTES / 1024 / 1024} MiB)`,
    'payload_too_large',
  );
}

export function bodyTooDeep(): DomainError {
  return new DomainError('BODY_TOO_DEEP', `The request body nests deeper than ${MAX_BODY_DEPTH} levels`, 'bad_request');
}

/** Whether a parsed body nests deeper than MAX_BODY_DEPTH (iteratively, so the check itself cannot overflow). */
export function parsedBodyTooDeep(body: unknown): boolean {
  const pending: [unknown, number][] = [[body, 1]];
  while (pending.length) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (!node || typeof node !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return true;
    for (const child of Object.values(node)) if (child && typeof child === 'object') pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * The same rule over raw JSON bytes, before parsing (the postback fast path): brackets counted outside strings
 * (UTF-8 multi-byte sequences never look like ASCII).
 */
export function rawJsonTooDeep(body: Buffer): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > MAX_BODY_DEPTH) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}
