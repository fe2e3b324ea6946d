import { DomainError } from '@app/common';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

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
    const deadline = Date.now() + wait.maxWaitMs;
    let interval = wait.pollIntervalMs;
    for (;;) {
      const job = await this.transport.importJob(jobId);
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

  importJob(jobId: string): Promise<ImportJob> {
    return this.transport.importJob(jobId);
  }
}
