import { Clock } from '@app/common';
import { AppConfigService } from '@app/config';
import { JobLeases, PeriodicJob } from '@app/persistence';
import { Injectable, Logger } from '@nestjs/common';

import { CoursesService } from './courses.service';

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
export class CourseImportWatcher {
  private readonly logger = new Logger(CourseImportWatcher.name);
  private readonly job: PeriodicJob<number>;

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfigService,
    private readonly courses: CoursesService,
    leases: JobLeases,
  ) {
    this.job = leases.periodic(LEASE, config.scormCloud.importWatchIntervalMs, () => this.pass());
  }

  /** One pass if no other instance runs one; answers how many imports were asked about. */
  async run(): Promise<number> {
    return (await this.job.run()) ?? 0;
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
