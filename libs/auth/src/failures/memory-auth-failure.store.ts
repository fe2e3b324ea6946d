import { ThrottlerStorageService } from '@nestjs/throttler';

import { AuthFailureStore, BLOCK_MS, FAILURE_WINDOW_MS, FailureCount } from './auth-failure.store';

const THROTTLER = 'auth-failures';

/** One process (SQLite): @nestjs/throttler's in-memory storage counts, and there is nobody else to tell. */
export class MemoryAuthFailureStore implements AuthFailureStore {
  readonly kind = 'memory';

  constructor(private readonly storage: ThrottlerStorageService) {}

  async count(client: string, limit: number): Promise<FailureCount> {
    const before = this.storage.storage.get(client)?.isBlocked ?? false;
    const record = await this.storage.increment(client, FAILURE_WINDOW_MS, limit, BLOCK_MS, THROTTLER);
    if (!record.isBlocked) return { blockedMs: 0, newlyBlocked: false };
    return { blockedMs: Math.max(1, record.timeToBlockExpire) * 1000, newlyBlocked: !before };
  }

  async announce(): Promise<void> {}

  watch(): void {}
}
