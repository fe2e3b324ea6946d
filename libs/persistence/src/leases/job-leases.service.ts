import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { JobLeaseRepository } from './job-lease.repository';

/** A lease this instance holds while its work runs; the work checks `lost` before each step it must not share. */
export interface HeldLease {
  readonly name: string;
  /** True once the lease may have passed to another instance (a renewal refused, or none in time). */
  readonly lost: boolean;
}

/** A periodic job run under a lease: see JobLeases.periodic. */
export interface PeriodicJob<T> {
  /** One pass if no other instance is running one (undefined then); overlapping calls here share the pass. */
  run(): Promise<T | undefined>;
}

/**
 * Background work claimed across instances: one row per job in `job_leases`, taken by one conditional upsert on
 * the database's clock, renewed while the work runs, and free again when its holder ends it or dies (it expires
 * after JOB_LEASE_MS). The same statements run on SQLite, where the one process always wins.
 */
@Injectable()
export class JobLeases implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobLeases.name);
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Ticks wait for the app to have booted (migrations run); null once it has. */
  private pending: (() => void)[] | null = [];
  /** Names this process in the lease rows (host, pid and a random part: pids repeat across containers). */
  readonly holder = `${hostname().slice(0, 120)}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly ttlMs: number;

  constructor(
    private readonly leases: JobLeaseRepository,
    config: AppConfigService,
  ) {
    this.ttlMs = config.instances.jobLeaseMs;
  }

  /**
   * Runs `work` if this instance gets the lease `name` (undefined when another instance holds it), renewing it every
   * third of its time while the work runs and releasing it afterwards.
   */
  async runExclusive<T>(name: string, work: (lease: HeldLease) => Promise<T>): Promise<T | undefined> {
    const started = Date.now();
    if (!(await this.leases.acquire(name, this.holder, this.ttlMs))) return undefined;
    const lease = { heldUntil: started + this.ttlMs, name, refused: false };
    const held: HeldLease = {
      get lost() {
        return lease.refused || Date.now() >= lease.heldUntil;
      },
      name,
    };
    const timer = setInterval(
      () => {
        const asked = Date.now();
        this.leases.renew(name, this.holder, this.ttlMs).then(
          (renewed) => {
            if (renewed) lease.heldUntil = asked + this.ttlMs;
            else lease.refused = true;
          },
          (error: unknown) => this.logger.warn({ err: error, lease: name }, 'Renewing a job lease failed'),
        );
      },
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    timer.unref();
    try {
      return await work(held);
    } finally {
      clearInterval(timer);
      if (!held.lost) {
        await this.leases.release(name, this.holder).catch((error: unknown) => {
          this.logger.warn({ err: error, lease: name }, 'Releasing a job lease failed; it expires by itself');
        });
      }
    }
  }

  /**
   * A job every instance ticks every `everyMs` (0: only when `run()` is called) and one instance at a time runs,
   * under the lease `name`: a killed holder's lease expires after JOB_LEASE_MS and the next tick elsewhere takes
   * over. Ticks stop when the app shuts down.
   */
  periodic<T>(name: string, everyMs: number, work: (lease: HeldLease) => Promise<T>): PeriodicJob<T> {
    let running: Promise<T | undefined> | undefined;
    const run = () => {
      running ??= this.runExclusive(name, work).finally(() => (running = undefined));
      return running;
    };
    if (everyMs > 0) {
      const start = () => {
        const timer = setInterval(() => {
          run().catch((error: unknown) => this.logger.warn({ err: error, job: name }, 'A background job pass failed'));
        }, everyMs);
        timer.unref();
        this.timers.add(timer);
      };
      if (this.pending) this.pending.push(start);
      else start();
    }
    return { run };
  }

  onApplicationBootstrap(): void {
    const pending = this.pending ?? [];
    this.pending = null;
    pending.forEach((start) => start());
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }

  /**
   * Claims a periodic job for `periodMs` across instances: true for one caller per period, which then runs it; the
   * claim is never released, so nobody else runs it before the period is over.
   */
  claimPeriod(name: string, periodMs: number): Promise<boolean> {
    return this.leases.acquire(`${name}#period`, randomUUID(), periodMs);
  }

  /**
   * A chore started from a busy path (pruning a table its requests fill): the answer is cheap to call on every
   * request; at most once per `periodMs` in this process it claims the period across instances (claimPeriod) and,
   * when this process got it, runs `work` in the background. A failure is logged with `failed` and waits for the
   * next period.
   */
  nowAndThen(name: string, periodMs: number, work: () => Promise<unknown>, logger: Logger, failed: string): () => void {
    let lastTry = 0;
    return () => {
      if (Date.now() - lastTry < periodMs) return;
      lastTry = Date.now();
      this.claimPeriod(name, periodMs)
        .then((claimed) => (claimed ? work() : undefined))
        .catch((error: unknown) => logger.warn({ err: error }, failed));
    };
  }
}
