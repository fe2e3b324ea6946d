/** What counting one failed authentication found. */
export interface FailureCount {
  /** How long the client is blocked from now, in ms (0: not blocked). */
  blockedMs: number;
  /** This failure started the block: its instance tells the others. */
  newlyBlocked: boolean;
}

/** Failed authentications per client, counted over one minute; the client is blocked once it exceeds the limit. */
export const FAILURE_WINDOW_MS = 60_000;
export const BLOCK_MS = 60_000;

/**
 * Where failures are counted: in this process (one SQLite instance), or shared by every instance (PostgreSQL, or
 * Redis when REDIS_URL is set). Only failures reach it; the per-request check is the limiter's in-memory blocks.
 */
export interface AuthFailureStore {
  readonly kind: 'memory' | 'postgres' | 'redis';
  count(client: string, limit: number): Promise<FailureCount>;
  /** Tells every instance (this one included) that `client` is blocked for `ms`. */
  announce(client: string, ms: number): Promise<void>;
  /** `handler` learns each block announced, and on every (re)connection the blocks already in force. */
  watch(handler: (client: string, ms: number) => void): void;
}

export const AUTH_FAILURE_STORE = Symbol('AUTH_FAILURE_STORE');

/** The message announcing a block (LISTEN/NOTIFY or pub/sub): remaining ms rather than a time, so clocks never meet. */
export function encodeBlock(client: string, ms: number): string {
  return JSON.stringify({ client, ms });
}

export function decodeBlock(payload: string): { client: string; ms: number } | undefined {
  try {
    const { client, ms } = JSON.parse(payload) as { client?: unknown; ms?: unknown };
    return typeof client === 'string' && typeof ms === 'number' && ms > 0 ? { client, ms } : undefined;
  } catch {
    return undefined;
  }
}
