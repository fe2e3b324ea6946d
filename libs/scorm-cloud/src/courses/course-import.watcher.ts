import { Clock } from '@app/common';
import { AppConfigService } from '@app/config';
import { JobLeases } from '@app/persistence';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

import { CoursesService } from './courses.service';

const INTERVAL_NAME = 'scorm-course-import-watch';
const LEASE = 'scorm-course-import-watch';
/** Jobs asked about per pass. */
const BATCH = 20;
/** SCORM Cloud keeps import jobs for a while; one silent for a day is not followed further. */
const FOLLOW_FOR_MS = 24 * 3600_000;

/**
 * An import the caller stopped waiting for (202) still ends some time: every instance ticks, one (under the lease)
 * asks SCORM Cloud about unfinished imports, and CoursesService.importJob announces each end once.
 */
@Injectable()
export class CourseImportWatcher implements OnApplicationBootstrap {
  private readonly logger = new Logger(CourseImportWatcher.name);
  private running: Promise<number> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfigService,
    private readonly courses: CoursesService,
    private readonly leases: JobLeases,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.scormCloud.importWatchIntervalMs;
    if (every <= 0) return;
    const timer = setInterval(() => void this.run().catch(() => undefined), every);
    timer.unref();
    this.scheduler.addInterval(INTERVAL_NAME, timer);
  }

  /** One pass if no other instance runs one; answers how many imports were asked about. */
  run(): Promise<number> {
    this.running ??= this.leases
      .runExclusive(LEASE, () => this.pass())
      .then((asked) => asked ?? 0)
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const now = this.clock.now();
    const every = Math.max(1000, this.config.scormCloud.importWatchIntervalMs);
    const due = await this.courses.unfinishedImports(
      new Date(now.getTime() - FOLLOW_FOR_MS),
      new Date(now.getTime() - every / 2),
      BATCH,
    );
    for (const { jobId } of due) {
      try {
        const job = await this.courses.importJob(jobId);
        if (job.status === 'RUNNING') await this.courses.markImportChecked(jobId);
      } catch (error) {
        this.logger.warn({ err: error, job_id: jobId }, 'Asking SCORM Cloud about a course import failed');
        await this.courses.markImportChecked(jobId);
      }
    }
    return due.length;
  }
}
