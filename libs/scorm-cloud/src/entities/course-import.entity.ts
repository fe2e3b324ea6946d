import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { ImportJobStatus } from '../transport/scorm-cloud.transport';

/** A course import started through the gateway, followed until SCORM Cloud says how it ended. */
@Entity('scorm_course_imports')
export class CourseImportEntity {
  @PrimaryColumn({ length: 255, name: 'job_id', type: 'varchar' })
  jobId: string;

  @Column({ length: 255, name: 'course_id', type: 'varchar' })
  courseId: string;

  @Column({ length: 16, type: 'varchar' })
  status: ImportJobStatus;

  @Column({ nullable: true, type: 'text' })
  message: string | null;

  @TimestampColumn({ name: 'started_at' })
  startedAt: Date;

  @TimestampColumn({ name: 'checked_at' })
  checkedAt: Date;

  /** Set once, by whoever first learnt the end: the announcement goes out in that transaction. */
  @TimestampColumn({ name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}
