import { Clock, GatewayMetrics } from '@app/common';
import { AppConfigService } from '@app/config';
import { RegistrationsService } from '@app/scorm-cloud';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

/** Registrations re-fetched per run; the rest wait for the next one, oldest first. */
const BATCH = 50;
const INTERVAL_NAME = 'webhook-postback-reconciliation';

export interface ReconciliationRun {
  checked: number;
  refreshed: number;
  /** SCORM Cloud no longer has them: marked deleted upstream, progress kept, not checked again. */
  deletedUpstream: number;
  failed: number;
}

/**
 * Postbacks carry no signature and may be lost, so they are treated as notifications: registrations whose
 * postback is overdue, or whose progress so far came only from a postback, are re-read from SCORM Cloud's API,
 * which then wins over a forged or missing postback.
 */
@Injectable()
export class PostbackReconciliationJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(PostbackReconciliationJob.name);
  private running: Promise<ReconciliationRun> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfigService,
    private readonly scheduler: SchedulerRegistry,
    private readonly registrations: RegistrationsService,
    private readonly metrics: GatewayMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.webhook.reconcileIntervalMs;
    if (every <= 0) return;
    const timer = setInterval(() => void this.run().catch(() => undefined), every);
    timer.unref();
    this.scheduler.addInterval(INTERVAL_NAME, timer);
  }

  /** One pass; overlapping calls share the pass already running. */
  run(): Promise<ReconciliationRun> {
    this.running ??= this.reconcile().finally(() => (this.running = undefined));
    return this.running;
  }

  private async reconcile(): Promise<ReconciliationRun> {
    const started = Date.now();
    const ids = await this.registrations.toReconcile(this.clock.now(), this.config.webhook.postbackOverdueMs, BATCH);
    const run: ReconciliationRun = { checked: ids.length, deletedUpstream: 0, failed: 0, refreshed: 0 };
    for (const id of ids) {
      try {
        if ((await this.registrations.refresh(id)) === 'deleted_upstream') run.deletedUpstream++;
        else run.refreshed++;
      } catch (error) {
        // SCORM Cloud down: try again next pass, keep going with the rest.
        run.failed++;
        this.logger.warn({ err: error, registration_id: id }, 'Reconciling a registration failed');
      }
    }
    if (ids.length) this.logger.log(run, 'Postback reconciliation pass');
    this.metrics.recordReconciliation(run, Date.now() - started);
    return run;
  }
}
