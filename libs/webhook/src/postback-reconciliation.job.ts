import { Clock, GatewayMetrics } from '@app/common';
import { AppConfigService } from '@app/config';
import { HeldLease, JobLeases, PeriodicJob } from '@app/persistence';
import { RegistrationsService } from '@app/scorm-cloud';
import { Injectable, Logger } from '@nestjs/common';

/** Registrations re-fetched per run; the rest wait for the next one, oldest first. */
const BATCH = 50;
/** One pass at a time across every instance, so SCORM Cloud (which rate-limits) is asked once per registration. */
const LEASE = 'webhook-postback-reconciliation';

export interface ReconciliationRun {
  checked: number;
  refreshed: number;
  /** SCORM Cloud no longer has them: marked deleted upstream, progress kept, not checked again. */
  deletedUpstream: number;
  failed: number;
  /** Another instance was running the pass, so this one did nothing. */
  skipped: boolean;
  /** The lease was lost mid-pass (a renewal refused or late): these were left to the instance that took it over. */
  abandoned: number;
}

/**
 * Postbacks carry no signature and may be lost, so they are treated as notifications: registrations whose
 * postback is overdue, or whose progress so far came only from a postback, are re-read from SCORM Cloud's API,
 * which then wins over a forged or missing postback. Every instance ticks, but a pass runs only under the job
 * lease, so with several instances each due registration is read once; a killed instance's lease expires after
 * JOB_LEASE_MS and the next tick elsewhere takes the pass over.
 */
@Injectable()
export class PostbackReconciliationJob {
  private readonly logger = new Logger(PostbackReconciliationJob.name);
  private readonly job: PeriodicJob<ReconciliationRun>;

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfigService,
    private readonly registrations: RegistrationsService,
    private readonly metrics: GatewayMetrics,
    leases: JobLeases,
  ) {
    this.job = leases.periodic(LEASE, config.webhook.reconcileIntervalMs, (lease) => this.reconcile(lease));
  }

  /** One pass, if no other instance is running one; overlapping calls share the pass already running here. */
  async run(): Promise<ReconciliationRun> {
    return (
      (await this.job.run()) ?? { abandoned: 0, checked: 0, deletedUpstream: 0, failed: 0, refreshed: 0, skipped: true }
    );
  }

  private async reconcile(lease: HeldLease): Promise<ReconciliationRun> {
    const started = Date.now();
    const ids = await this.registrations.toReconcile(this.clock.now(), this.config.webhook.postbackOverdueMs, BATCH);
    const run: ReconciliationRun = {
      abandoned: 0,
      checked: ids.length,
      deletedUpstream: 0,
      failed: 0,
      refreshed: 0,
      skipped: false,
    };
    for (const [i, id] of ids.entries()) {
      if (lease.lost) {
        run.abandoned = ids.length - i;
        this.logger.warn(run, 'Reconciliation lease lost mid-pass; another instance takes the rest');
        break;
      }
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
