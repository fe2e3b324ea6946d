import { AppConfigService } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorageService, getStorageToken } from '@nestjs/throttler';

const WINDOW_MS = 60_000;
const BLOCK_MS = 60_000;
const THROTTLER = 'auth-failures';

/** Counts failed authentications per client address; past the limit the address is refused for a minute. */
@Injectable()
export class AuthFailureLimiter {
  private readonly limit: number;

  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorageService,
    config: AppConfigService,
  ) {
    this.limit = config.auth.failureLimitPerMinute;
  }

  /** Seconds until the address may try again, or 0. */
  blockedFor(address: string): number {
    const record = this.storage.storage.get(this.key(address));
    const remaining = record?.isBlocked ? record.blockExpiresAt - Date.now() : 0;
    return remaining > 0 ? Math.ceil(remaining / 1000) : 0;
  }

  async recordFailure(address: string): Promise<number> {
    const record = await this.storage.increment(this.key(address), WINDOW_MS, this.limit, BLOCK_MS, THROTTLER);
    return record.isBlocked ? Math.max(1, record.timeToBlockExpire) : 0;
  }

  private key(address: string): string {
    return `${THROTTLER}:${address}`;
  }
}
