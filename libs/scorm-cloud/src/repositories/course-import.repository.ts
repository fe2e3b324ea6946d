import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CourseImportEntity } from '../entities/course-import.entity';
import type { ImportJobStatus } from '../transport/scorm-cloud.transport';

/** Course imports being followed. */
@Injectable()
export class CourseImportRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get imports() {
    return this.dataSource.getRepository(CourseImportEntity);
  }

  async start(jobId: string, courseId: string, at: Date): Promise<void> {
    await this.imports.upsert(
      { checkedAt: at, courseId, finishedAt: null, jobId, message: null, startedAt: at, status: 'RUNNING' },
      ['jobId'],
    );
  }

  findByJob(jobId: string): Promise<CourseImportEntity | null> {
    return this.imports.findOne({ where: { jobId } });
  }

  /**
   * Records how the import ended; `then` runs in the same transaction only for the call that recorded it, so its
   * announcement is made once however many pollers learn the end.
   */
  async finish(
    jobId: string,
    status: ImportJobStatus,
    message: string | null,
    at: Date,
    then: (manager: EntityManager, row: CourseImportEntity) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const result = await tx
        .createQueryBuilder()
        .update(CourseImportEntity)
        .set({ checkedAt: at, finishedAt: at, message, status })
        .where('job_id = :jobId AND finished_at IS NULL', { jobId })
        .execute();
      const row = result.affected ? await tx.findOne(CourseImportEntity, { where: { jobId } }) : null;
      if (row) await then(tx, row);
    });
  }

  async checked(jobId: string, at: Date): Promise<void> {
    await this.imports.update({ jobId }, { checkedAt: at });
  }

  /** Unfinished imports started after `since`, least recently checked first, not checked since `checkedBefore`. */
  unfinished(since: Date, checkedBefore: Date, limit: number): Promise<CourseImportEntity[]> {
    return this.imports
      .createQueryBuilder('i')
      .where('i.finished_at IS NULL AND i.started_at > :since AND i.checked_at < :checkedBefore', {
        checkedBefore: checkedBefore.toISOString(),
        since: since.toISOString(),
      })
      .orderBy('i.checked_at', 'ASC')
      .limit(limit)
      .getMany();
  }
}
