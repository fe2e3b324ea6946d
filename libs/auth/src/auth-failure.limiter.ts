import { AppConfigService } from '@app/config';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { isIPv6 } from 'node:net';

import { AUTH_FAILURE_STORE, AuthFailureStore, FailureCount } from './failures/auth-failure.store';
import { MemoryAuthFailureStore } from './failures/memory-auth-failure.store';

/** Past this many blocks in memory, expired ones are dropped whenever one is added. */
const SWEEP_ABOVE = 1000;

/**
 * Counts failed authentications per client address; past the limit the address is refused for a minute.
 *
 * `blockedFor` runs on every authenticated request and every postback, so it only looks in this process's map of
 * blocks. A failure is counted in the store (in memory for one SQLite process, else shared by every instance: one
 * PostgreSQL upsert, or a Redis script), and a new block is announced to every instance, which adds it to its map.
 * If the shared store fails, the failure is counted in this process instead, so guessing never goes unlimited.
 */
@Injectable()
export class AuthFailureLimiter implements OnModuleInit {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly limit: number;
  /** Client → when its block ends (this process's clock). */
  private readonly blocks = new Map<string, number>();
  private fallback: MemoryAuthFailureStore | undefined;

  constructor(
    @Inject(AUTH_FAILURE_STORE) private readonly store: AuthFailureStore,
    config: AppConfigService,
  ) {
    this.limit = config.auth.failureLimitPerMinute;
  }

  onModuleInit(): void {
    this.store.watch((client, ms) => this.block(client, ms));
  }

  /** Seconds until the address may try again, or 0. */
  blockedFor(address: string): number {
    if (!this.blocks.size) return 0;
    const client = clientOf(address);
    const until = this.blocks.get(client);
    if (until === undefined) return 0;
    const remaining = until - Date.now();
    if (remaining > 0) return Math.ceil(remaining / 1000);
    this.blocks.delete(client);
    return 0;
  }

  /** Counts a failure; answers the seconds the address is now blocked for, or 0. */
  async recordFailure(address: string): Promise<number> {
    const client = clientOf(address);
    const counted = await this.count(client);
    if (!counted.blockedMs) return 0;
    this.block(client, counted.blockedMs);
    if (counted.newlyBlocked) {
      this.store.announce(client, counted.blockedMs).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'Announcing an auth-failure block to the other instances failed');
      });
    }
    return Math.max(1, Math.ceil(counted.blockedMs / 1000));
  }

  private async count(client: string): Promise<FailureCount> {
    try {
      return await this.store.count(client, this.limit);
    } catch (error) {
      this.logger.warn({ err: error, store: this.store.kind }, 'Counting an auth failure failed; counted here');
      this.fallback ??= new MemoryAuthFailureStore(new ThrottlerStorageService());
      return this.fallback.count(client, this.limit);
    }
  }

  private block(client: string, ms: number): void {
    const until = Date.now() + ms;
    if ((this.blocks.get(client) ?? 0) >= until) return;
    if (this.blocks.size >= SWEEP_ABOVE) {
      const now = Date.now();
      for (const [key, ends] of this.blocks) if (ends <= now) this.blocks.delete(key);
    }
    this.blocks.set(client, until);
  }
}

/**
 * The unit a failure counts against. One IPv6 host or site gets a whole /64 and can pick a fresh address per
 * attempt, so an IPv6 address counts as its /64; an IPv4-mapped one counts as the IPv4 address it carries.
 */
export function clientOf(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, without leading zeros; a zone index is dropped. */
function ipv6Groups(address: string): string[] {
  let text = address.split('%', 1)[0].toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}
