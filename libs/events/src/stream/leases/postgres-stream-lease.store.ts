import { JobLeases } from '@app/persistence';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

import { StreamLeaseRepository } from '../../repositories/stream-lease.repository';
import { StreamLeaseStore } from './stream-lease.store';

/** Expired leases (of killed instances) are deleted by one instance per period; until then they only take space. */
const PRUNE_EVERY_MS = 600_000;

/**
 * Several instances on PostgreSQL: a lease row per open stream, named after this instance (JobLeases.holder). Its
 * instance renews all of its leases in one statement every third of JOB_LEASE_MS; a killed instance's leases stop
 * counting JOB_LEASE_MS after their last renewal, as its job leases do.
 */
export class PostgresStreamLeaseStore implements StreamLeaseStore {
  readonly shared = true;
  readonly renewEveryMs: number;
  private readonly logger = new Logger(PostgresStreamLeaseStore.name);
  private readonly pruneNowAndThen: () => void;

  constructor(
    private readonly leases: StreamLeaseRepository,
    private readonly jobs: JobLeases,
    private readonly ttlMs: number,
  ) {
    this.renewEveryMs = Math.max(100, Math.floor(ttlMs / 3));
    this.pruneNowAndThen = jobs.nowAndThen(
      'stream-leases-prune',
      PRUNE_EVERY_MS,
      () => this.leases.deleteExpired(),
      this.logger,
      'Deleting expired stream leases failed',
    );
  }

  async take(caller: string, max: number): Promise<string | undefined> {
    const id = randomUUID();
    const taken = await this.leases.take(id, caller, this.jobs.holder, max, this.ttlMs);
    this.pruneNowAndThen();
    return taken ? id : undefined;
  }

  async renew(ids: string[]): Promise<string[]> {
    const renewed = await this.leases.renew(ids, this.jobs.holder, this.ttlMs);
    return ids.filter((id) => !renewed.has(id));
  }

  release(id: string): Promise<void> {
    return this.leases.release(id);
  }

  releaseAll(): Promise<void> {
    return this.leases.releaseAll(this.jobs.holder);
  }
}
