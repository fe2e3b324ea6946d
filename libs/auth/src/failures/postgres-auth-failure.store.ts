import { DatabaseNotifications, JobLeases } from '@app/persistence';
import { Logger } from '@nestjs/common';

import { AuthFailureRepository } from '../repositories/auth-failure.repository';
import {
  AuthFailureStore,
  BLOCK_MS,
  FAILURE_WINDOW_MS,
  FailureCount,
  decodeBlock,
  encodeBlock,
} from './auth-failure.store';

const CHANNEL = 'lms_gateway_auth_blocks';
/** Rows of clients quiet this long are deleted, by one instance per period. */
const PRUNE_AFTER_MS = 3600_000;
const PRUNE_EVERY_MS = 600_000;

/**
 * Several instances on PostgreSQL (the default there: nothing more to run). Each failure is one upsert that returns
 * the count; a new block goes to the other instances by NOTIFY, and a (re)connected listener reads those in force.
 */
export class PostgresAuthFailureStore implements AuthFailureStore {
  readonly kind = 'postgres';
  private readonly logger = new Logger(PostgresAuthFailureStore.name);
  private lastPrune = 0;

  constructor(
    private readonly failures: AuthFailureRepository,
    private readonly notifications: DatabaseNotifications,
    private readonly leases: JobLeases,
  ) {}

  async count(client: string, limit: number): Promise<FailureCount> {
    const counted = await this.failures.count(client, limit, FAILURE_WINDOW_MS, BLOCK_MS);
    this.pruneNowAndThen();
    return counted;
  }

  announce(client: string, ms: number): Promise<void> {
    return this.notifications.notify(CHANNEL, encodeBlock(client, ms));
  }

  watch(handler: (client: string, ms: number) => void): void {
    this.notifications.subscribe(
      CHANNEL,
      (payload) => {
        const block = decodeBlock(payload);
        if (block) handler(block.client, block.ms);
      },
      () => {
        this.failures.blocked().then(
          (blocks) => blocks.forEach(({ blockedMs, client }) => handler(client, blockedMs)),
          (error: unknown) => this.logger.warn({ err: error }, 'Reading the blocks in force failed'),
        );
      },
    );
  }

  private pruneNowAndThen(): void {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    this.leases
      .claimPeriod('auth-failures-prune', PRUNE_EVERY_MS)
      .then((claimed) => (claimed ? this.failures.prune(PRUNE_AFTER_MS) : undefined))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Pruning old auth failures failed'));
  }
}
