import { Clock, DomainError } from '@app/common';
import { EventOutbox } from '@app/events';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { CourseImportRepository } from '../repositories/course-import.repository';
import { RegistrationRepository } from '../repositories/registration.repository';
import { ImportJob, SCORM_CLOUD_TRANSPORT, ScormCloudTransport, ScormCourse } from '../transport/scorm-cloud.transport';

export interface ImportOutcome extends ImportJob {
  /** False when the job was still running at the end of the bounded wait. */
  finished: boolean;
}

export interface ImportWaitOptions {
  maxWaitMs: number;
  pollIntervalMs: number;
}

export interface CourseImport {
  file: Readable;
  filename: string;
  courseId?: string;
  size?: number;
  mayCreateNewVersion?: boolean;
}

/** Courses on SCORM Cloud: list, import (streamed, then the job awaited for a while), delete. */
@Injectable()
export class CoursesService {
  constructor(
    @Inject(SCORM_CLOUD_TRANSPORT) private readonly transport: ScormCloudTransport,
    private readonly registrations: RegistrationRepository,
    private readonly imports: CourseImportRepository,
    private readonly outbox: EventOutbox,
    private readonly clock: Clock,
  ) {}

  listCourses(): Promise<ScormCourse[]> {
    return this.transport.listCourses();
  }

  /** SCORM Cloud deletes a course's registrations with it, so ours go too. */
  async deleteCourse(courseId: string): Promise<void> {
    await this.transport.deleteCourse(courseId);
    await this.registrations.deleteByCourse(courseId);
  }

  async importCourse(
    upload: CourseImport,
    wait: ImportWaitOptions = { maxWaitMs: 20_000, pollIntervalMs: 250 },
  ): Promise<ImportOutcome> {
    const courseId = upload.courseId ?? randomUUID();
    const { jobId } = await this.transport.startImport({
      courseId,
      file: upload.file,
      filename: upload.filename,
      mayCreateNewVersion: upload.mayCreateNewVersion ?? false,
      size: upload.size,
    });
    await this.imports.start(jobId, courseId, this.clock.now());
    const deadline = Date.now() + wait.maxWaitMs;
    let interval = wait.pollIntervalMs;
    for (;;) {
      const job = await this.importJob(jobId);
      if (job.status === 'ERROR') {
        throw new DomainError(
          'SCORM_CLOUD_IMPORT_FAILED',
          `SCORM Cloud could not import the course: ${job.message ?? 'no reason given'}`,
          'upstream_bad_request',
        );
      }
      if (job.status === 'COMPLETE') return { ...job, courseId: job.courseId ?? courseId, finished: true };
      if (Date.now() + interval > deadline) return { ...job, courseId: job.courseId ?? courseId, finished: false };
      await sleep(interval);
      interval = Math.min(interval * 2, 2000);
    }
  }

  /** The job as SCORM Cloud reports it; the first to learn that a followed import ended announces it. */
  async importJob(jobId: string): Promise<ImportJob> {
    const job = await this.transport.importJob(jobId);
    const at = this.clock.now();
    if (job.status === 'RUNNING') return job;
    await this.imports.finish(jobId, job.status, job.message, at, (tx, row) => {
      const courseId = job.courseId ?? row.courseId;
      return this.outbox.append(tx, [
        {
          courseId,
          data: {
            course_id: courseId,
            job_id: jobId,
            message: job.message,
            status: job.status,
            success: job.status === 'COMPLETE',
            title: job.title,
          },
          occurredAt: at,
          type: 'course.import_finished',
        },
      ]);
    });
    return job;
  }

  /** Imports still running, to ask SCORM Cloud about again (see CourseImportWatcher). */
  unfinishedImports(since: Date, checkedBefore: Date, limit: number): Promise<{ jobId: string }[]> {
    return this.imports.unfinished(since, checkedBefore, limit);
  }

  markImportChecked(jobId: string): Promise<void> {
    return this.imports.checked(jobId, this.clock.now());
  }
}
