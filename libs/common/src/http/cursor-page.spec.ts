import { ValidationFailedError } from '../errors/domain.error';
import { cursorPage, decodeCursor, encodeCursor } from './cursor-page';

describe('cursor paging', () => {
  it('round-trips a sort key through an opaque base64url cursor', () => {
    const cursor = encodeCursor(['2026-03-01T00:00:00.000Z', 'uid/ä 1']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['string', 'string'])).toEqual(['2026-03-01T00:00:00.000Z', 'uid/ä 1']);
    expect(decodeCursor(encodeCursor(['a', 7]), ['string', 'number'])).toEqual(['a', 7]);
  });

  it('refuses anything but a cursor of the same key shape, naming cursor', () => {
    const bad = [
      'not base64!',
      Buffer.from('{"id":"x"}').toString('base64url'),
      Buffer.from('["x"]').toString('base64url').slice(0, -2),
      encodeCursor(['x', 'y']),
      encodeCursor([1]),
      encodeCursor(['']),
      encodeCursor(['x'.repeat(321)]),
      '',
    ];
    for (const cursor of bad) {
      let error: unknown;
      try {
        decodeCursor(cursor, ['string']);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationFailedError);
      expect((error as ValidationFailedError).details).toEqual({ cursor: [expect.stringContaining('cursor')] });
    }
  });

  it('reads one row more than the page to know whether another page exists, without counting', () => {
    const rows = [{ id: 'c' }, { id: 'b' }, { id: 'a' }];
    expect(cursorPage(rows, 2, (row) => [row.id])).toEqual({
      items: [{ id: 'c' }, { id: 'b' }],
      limit: 2,
      next_cursor: encodeCursor(['b']),
    });
    expect(cursorPage(rows, 3, (row) => [row.id])).toEqual({ items: rows, limit: 3, next_cursor: null });
    expect(cursorPage([], 3, (row: { id: string }) => [row.id]).next_cursor).toBeNull();
  });
});
