import { AppConfigService } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorageService, getStorageToken } from '@nestjs/throttler';
import { isIPv6 } from 'node:net';

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
    return `${THROTTLER}:${clientOf(address)}`;
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
