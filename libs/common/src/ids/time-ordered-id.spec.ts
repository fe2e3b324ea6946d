import { newTimeOrderedId } from './time-ordered-id';

describe('newTimeOrderedId', () => {
  it('is a version 7 UUID carrying the time', () => {
    const id = newTimeOrderedId(Date.parse('2026-11-23T10:00:00.000Z'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(
      Date.parse('2026-11-23T10:00:00.000Z'),
    );
  });

  it('grows strictly, even for many ids in one millisecond', () => {
    const now = Date.now() + 10_000;
    const ids = Array.from({ length: 10_000 }, () => newTimeOrderedId(now));
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
