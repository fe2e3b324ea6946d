import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';

import {
  AuthFailureStore,
  BLOCK_MS,
  FAILURE_WINDOW_MS,
  FailureCount,
  decodeBlock,
  encodeBlock,
} from './auth-failure.store';

const PREFIX = 'lms-gateway:auth';
const COMMAND_TIMEOUT_MS = 1000;
const CHANNEL = `${PREFIX}:blocks`;
/** The client in braces: a Redis Cluster keeps both of its keys in one slot, as the script needs. */
const failuresKey = (client: string) => `${PREFIX}:{${client}}:failures`;
const blockedKey = (client: string) => `${PREFIX}:{${client}}:blocked`;

/**
 * INCR in a window that starts with the first failure; past the limit, a block key with its own expiry. Atomic as
 * a script, so concurrent failures on several instances count one after another. Returns [failures, blocked ms,
 * 1 when this call started the block].
 */
const COUNT_SCRIPT = `
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {failures, left, 0} end
if failures > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {failures, tonumber(ARGV[3]), 1}
end
return {failures, 0, 0}
`;

/**
 * Several instances with REDIS_URL set: counted in Redis, blocks announced by pub/sub. Redis keeps a counter in
 * microseconds and expires it by itself, so the database sees no auth traffic at all. A command waits at most a
 * second (while connecting, say); past that, or with Redis unreachable, the limiter counts in this process.
 */
export class RedisAuthFailureStore implements AuthFailureStore, OnApplicationShutdown {
  readonly kind = 'redis';
  private readonly logger = new Logger(RedisAuthFailureStore.name);
  private readonly redis: Redis;
  private subscriber: Redis | undefined;
  private lastError = 0;

  constructor(url: string) {
    // Loaded only here, when REDIS_URL is set: a gateway without Redis never holds the client in memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
    this.redis = new RedisClient(url, { commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1 });
    this.redis.on('error', (error: unknown) => this.warn(error));
    this.redis.defineCommand('countAuthFailure', { lua: COUNT_SCRIPT, numberOfKeys: 2 });
  }

  async count(client: string, limit: number): Promise<FailureCount> {
    const counter = this.redis as Redis & {
      countAuthFailure(...args: (string | number)[]): Promise<[number, number, number]>;
    };
    const [, blockedMs, newly] = await counter.countAuthFailure(
      failuresKey(client),
      blockedKey(client),
      FAILURE_WINDOW_MS,
      limit,
      BLOCK_MS,
    );
    return { blockedMs: Number(blockedMs), newlyBlocked: Number(newly) === 1 };
  }

  async announce(client: string, ms: number): Promise<void> {
    await this.redis.publish(CHANNEL, encodeBlock(client, ms));
  }

  watch(handler: (client: string, ms: number) => void): void {
    // Subscribed connections wait as long as they must: no timeout on the subscription itself.
    const subscriber = (this.subscriber ??= this.redis.duplicate({ commandTimeout: undefined }));
    subscriber.on('error', (error: unknown) => this.warn(error));
    subscriber.on('message', (_channel: string, payload: string) => {
      const block = decodeBlock(payload);
      if (block) handler(block.client, block.ms);
    });
    // ioredis re-subscribes after a reconnection; blocks announced meanwhile are read back from their keys.
    subscriber.on('ready', () => void this.catchUp(handler));
    subscriber.subscribe(CHANNEL).catch((error: unknown) => this.warn(error));
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }

  private async catchUp(handler: (client: string, ms: number) => void): Promise<void> {
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${PREFIX}:{*}:blocked`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const ms = await this.redis.pttl(key);
          const client = /^[^{]*\{(.*)\}:blocked$/.exec(key)?.[1];
          if (client && ms > 0) handler(client, ms);
        }
      } while (cursor !== '0');
    } catch (error) {
      this.warn(error);
    }
  }

  /** Redis down: one warning every 10 s, not one per reconnection attempt. */
  private warn(error: unknown): void {
    if (Date.now() - this.lastError < 10_000) return;
    this.lastError = Date.now();
    this.logger.warn({ err: error }, 'Redis (REDIS_URL) is unreachable; counting auth failures in this process');
  }
}
