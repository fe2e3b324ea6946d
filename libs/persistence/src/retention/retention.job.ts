import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';

import { HeldLease, JobLeases } from '../leases/job-leases.service';
import { RetentionMarkRepository } from './retention-mark.repository';

const DAY_MS = 86_400_000;
const LEASE = 'retention';
/** A pass stops after this long and continues at the next tick, so one pass never holds the lease for long. */
const PASS_BUDGET_MS = 20_000;
/** Between two batches: queued postbacks commit here (SQLite has one connection, so this is their turn). */
const PAUSE_MS = 5;
/**
 * After each batch the job rests this many times as long as the batch took, so pruning takes at most a quarter of
 * the database's time whatever the machine's speed, and ingest the rest.
 */
const REST_FACTOR = 3;
/** Free pages handed back per incremental_vacuum statement on SQLite (4 KiB each). */
const VACUUM_PAGES = 2_000;

export interface PruneBatch {
  /** Rows this batch looked at and pruned (fewer than asked: nothing more is due now). */
  pruned: number;
  /** Where the next batch continues (kept in retention_marks), if the target walks a key. */
  mark?: string;
}

/** One kind of data that expires: a library registers it at start-up (RetentionJob.register). */
export interface RetentionTarget {
  /** Names it in logs and in retention_marks, e.g. `webhook_events.raw_body`. */
  name: string;
  /** Days to keep, read each pass; 0 keeps forever. */
  days(): number;
  /**
   * Prunes at most `limit` rows that expired before `cutoff`, after `mark` (the previous batch's), inside `manager`'s
   * transaction. Write it with the target's repository, one short statement or two over an index.
   */
  prune(manager: EntityManager, cutoff: Date, limit: number, mark: string | undefined): Promise<PruneBatch>;
}

export interface RetentionRun {
  /** Another instance holds the retention lease. */
  skipped: boolean;
  pruned: Record<string, number>;
  /** SQLite pages given back to the file system. */
  vacuumedPages: number;
}

/**
 * Prunes expired data in small transactions under the `retention` job lease (one instance at a time across
 * several), pausing between batches so ingest is never queued behind it; on SQLite it then returns the freed pages
 * to the file system with incremental vacuum. Targets come from the libraries that own the tables.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionJob.name);
  private readonly targets = new Map<string, RetentionTarget>();
  private running: Promise<RetentionRun> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private warnedNoAutoVacuum = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfigService,
    private readonly leases: JobLeases,
    private readonly marks: RetentionMarkRepository,
  ) {}

  register(target: RetentionTarget): void {
    this.targets.set(target.name, target);
  }

  onApplicationBootstrap(): void {
    const every = this.config.retention.intervalMs;
    if (every <= 0) return;
    this.timer = setInterval(() => void this.run().catch(() => undefined), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every target, if no other instance is running one; concurrent calls share it. */
  run(): Promise<RetentionRun> {
    this.running ??= this.leases
      .runExclusive(LEASE, (lease) => this.pass(lease))
      .then((run) => run ?? { pruned: {}, skipped: true, vacuumedPages: 0 })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(lease: HeldLease): Promise<RetentionRun> {
    const started = Date.now();
    const run: RetentionRun = { pruned: {}, skipped: false, vacuumedPages: 0 };
    const batch = this.config.retention.batchSize;
    const halted = () => this.stopping || lease.lost || Date.now() - started > PASS_BUDGET_MS;
    for (const target of this.targets.values()) {
      const days = target.days();
      if (days <= 0) continue;
      // Targets run in registration order; one whose data goes whole after fewer days than another's part (rows
      // before bodies) leaves that one less to do.
      const cutoff = new Date(Date.now() - days * DAY_MS);
      let mark = await this.marks.get(target.name);
      let total = 0;
      while (!halted()) {
        const batchStarted = Date.now();
        const result = await this.dataSource.transaction(async (manager) => {
          const pruned = await target.prune(manager, cutoff, batch, mark);
          if (pruned.mark !== undefined && pruned.mark !== mark)
            await this.marks.set(manager, target.name, pruned.mark);
          return pruned;
        });
        total += result.pruned;
        mark = result.mark ?? mark;
        if (result.pruned < batch) break;
        await sleep(Math.max(PAUSE_MS, (Date.now() - batchStarted) * REST_FACTOR));
      }
      run.pruned[target.name] = total;
    }
    if (this.dataSource.options.type === 'better-sqlite3') run.vacuumedPages = await this.vacuum(halted);
    if (Object.values(run.pruned).some((n) => n > 0) || run.vacuumedPages) {
      this.logger.log({ ...run, ms: Date.now() - started }, 'Retention pass');
    }
    return run;
  }

  /**
   * auto_vacuum=INCREMENTAL is set when a SQLite file is created (SqlitePragmas); a file made before it keeps its
   * free pages for reuse until an offline `VACUUM` switches it over (README, "Retention").
   */
  private async vacuum(halted: () => boolean): Promise<number> {
    const space = await this.marks.sqliteSpace();
    const { autoVacuum } = space;
    let { freePages } = space;
    if (autoVacuum !== 2) {
      if (!this.warnedNoAutoVacuum && freePages > 0) {
        this.warnedNoAutoVacuum = true;
        this.logger.warn(
          { free_pages: freePages },
          "The SQLite file was created without auto_vacuum=INCREMENTAL: pruned space is reused, not returned. Stop the gateway and run: sqlite3 <file> 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM;'",
        );
      }
      return 0;
    }
    let vacuumed = 0;
    while (freePages > 0 && !halted()) {
      const stepStarted = Date.now();
      await this.marks.sqliteIncrementalVacuum(VACUUM_PAGES);
      const before = freePages;
      ({ freePages } = await this.marks.sqliteSpace());
      vacuumed += before - freePages;
      if (before === freePages) break;
      await sleep(Math.max(PAUSE_MS, (Date.now() - stepStarted) * REST_FACTOR));
    }
    return vacuumed;
  }
}
