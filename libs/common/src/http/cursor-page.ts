import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { ValidationFailedError } from '../errors/domain.error';

/** The sort key of the last item on a page: column values, in the list's own order. */
export type CursorKey = readonly (string | number)[];

/** A cursor is short: the sort key of one row, never a query. */
const MAX_CURSOR_LENGTH = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Keyset paging: `next_cursor` is base64url of the last row's sort key (JSON array), opaque to clients. The next page
 * asks for rows strictly after that key in the list's order, so rows inserted meanwhile never shift a page (unlike
 * OFFSET) and the database seeks the index instead of counting past skipped rows.
 */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The key a cursor carries, checked against the list's key shape (`kinds`: one entry per column); any other cursor is
 * a 400 naming `cursor`, so a cursor from another list or a hand-edited one never reaches SQL.
 */
export function decodeCursor<K extends CursorKey>(cursor: string, kinds: readonly ('string' | 'number')[]): K {
  let key: unknown;
  try {
    key = BASE64URL.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    key = undefined;
  }
  const valid =
    Array.isArray(key) &&
    key.length === kinds.length &&
    key.every((part, i) =>
      kinds[i] === 'number' ? Number.isFinite(part) : typeof part === 'string' && part.length > 0 && part.length <= 320,
    );
  if (!valid) throw invalidCursor();
  return key as unknown as K;
}

export function invalidCursor(): ValidationFailedError {
  const message = 'cursor must be a next_cursor value this list returned (rule: isCursor)';
  return new ValidationFailedError(message, { cursor: [message] });
}

/** `limit` and `cursor` query parameters, with the list's own default and maximum page size. */
export function PageLimit(defaults: { default: number; max: number }): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ default: defaults.default, maximum: defaults.max, minimum: 1 }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(defaults.max),
  );
}

export function PageCursor(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: 'The next_cursor of the previous page; absent for the first page',
      example: 'WyIwMTkzYTRmMi0xYzNlLTdhMDAtOWJmMC0xMjM0NTY3ODlhYmMiXQ',
      maxLength: MAX_CURSOR_LENGTH,
    }),
    IsOptional(),
    IsString(),
    MaxLength(MAX_CURSOR_LENGTH),
    Matches(BASE64URL, { message: 'cursor must be a next_cursor value this list returned' }),
  );
}

/** Query parameters every keyset-paged list takes; extend it with the list's filters. */
export class CursorPageQueryDto {
  @PageCursor()
  cursor?: string;
}

/** The paging part of a page's body: the list's items sit beside it under their own name. */
export class CursorPageDto {
  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({
    description: 'Pass as `cursor` for the next page; null on the last page',
    nullable: true,
    type: String,
  })
  next_cursor: string | null;
}

/**
 * Fetch `limit + 1` rows in the list's order, then hand them here: the extra row only says whether another page
 * exists, so no COUNT is ever needed.
 */
export function cursorPage<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey) {
  const items = rows.slice(0, limit);
  const more = rows.length > limit && items.length > 0;
  return { items, limit, next_cursor: more ? encodeCursor(keyOf(items[items.length - 1])) : null };
}
