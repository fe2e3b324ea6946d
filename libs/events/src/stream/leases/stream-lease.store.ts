/**
 * Where open event streams are counted against EVENT_STREAM_MAX_PER_CALLER: in this process (one SQLite instance),
 * or in PostgreSQL, shared by every instance, as leases that this instance renews while its streams stay open.
 */
export interface StreamLeaseStore {
  /** True when every instance counts against the same limit. */
  readonly shared: boolean;
  /** How often `renew` is due (0: never, nothing expires). */
  readonly renewEveryMs: number;
  /** Takes one of the caller's `max` slots: the lease id, or undefined when the caller holds them all. */
  take(caller: string, max: number): Promise<string | undefined>;
  /** Keeps this instance's leases `ids` counting; answers those it no longer holds (they expired meanwhile). */
  renew(ids: string[]): Promise<string[]>;
  /** Frees a slot; idempotent. */
  release(id: string): Promise<void>;
  /** Frees every slot this instance holds (shutdown). */
  releaseAll(): Promise<void>;
}

export const STREAM_LEASE_STORE = Symbol('STREAM_LEASE_STORE');
