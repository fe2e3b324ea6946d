import { MemoryStreamLeaseStore } from './memory-stream-lease.store';

/** One SQLite process: the same limit as the shared store, counted in memory, nothing to renew. */
describe('MemoryStreamLeaseStore', () => {
  it('gives a caller at most `max` places, frees one per release (once), and counts callers apart', async () => {
    const store = new MemoryStreamLeaseStore();
    const held = [await store.take('user:a', 2), await store.take('user:a', 2)];
    expect(held.every((id) => typeof id === 'string')).toBe(true);
    expect(await store.take('user:a', 2)).toBeUndefined();
    expect(await store.take('user:b', 2)).toBeDefined();

    await store.release(held[0]!);
    await store.release(held[0]!);
    expect(await store.take('user:a', 2)).toBeDefined();
    expect(await store.take('user:a', 2)).toBeUndefined();
  });

  it('never loses a place to renewal, and frees every place at shutdown', async () => {
    const store = new MemoryStreamLeaseStore();
    const id = await store.take('user:a', 1);
    expect(store.shared).toBe(false);
    expect(store.renewEveryMs).toBe(0);
    expect(await store.renew([id!])).toEqual([]);
    await store.releaseAll();
    expect(await store.take('user:a', 1)).toBeDefined();
  });
});
