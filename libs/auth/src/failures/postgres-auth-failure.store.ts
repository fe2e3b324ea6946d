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
  private readonly pruneNowAndThen: () => void;

  constructor(
    private readonly failures: AuthFailureRepository,
    private readonly notifications: DatabaseNotifications,
    leases: JobLeases,
  ) {
    this.pruneNowAndThen = leases.nowAndThen(
      'auth-failures-prune',
      PRUNE_EVERY_MS,
      () => this.failures.prune(PRUNE_AFTER_MS),
      this.logger,
      'Pruning old auth failures failed',
    );
  }

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
}
