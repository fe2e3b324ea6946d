import { randomUUID } from 'node:crypto';

import { StreamLeaseStore } from './stream-lease.store';

/** One process (SQLite): a count per caller in memory, and nobody else to share it with. */
export class MemoryStreamLeaseStore implements StreamLeaseStore {
  readonly shared = false;
  readonly renewEveryMs = 0;
  private readonly perCaller = new Map<string, number>();
  /** Lease id → its caller. */
  private readonly leases = new Map<string, string>();

  async take(caller: string, max: number): Promise<string | undefined> {
    const open = this.perCaller.get(caller) ?? 0;
    if (open >= max) return undefined;
    const id = randomUUID();
    this.perCaller.set(caller, open + 1);
    this.leases.set(id, caller);
    return id;
  }

  /** Nothing here expires: every lease is still held. */
  async renew(_ids: string[]): Promise<string[]> {
    return [];
  }

  async release(id: string): Promise<void> {
    const caller = this.leases.get(id);
    if (caller === undefined) return;
    this.leases.delete(id);
    const left = (this.perCaller.get(caller) ?? 1) - 1;
    if (left > 0) this.perCaller.set(caller, left);
    else this.perCaller.delete(caller);
  }

  async releaseAll(): Promise<void> {
    this.leases.clear();
    this.perCaller.clear();
  }
}
