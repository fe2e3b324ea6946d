import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ProgressSource = 'postback' | 'api';

/** A SCORM Cloud registration created through the gateway: which learner takes which course in which LMS course. */
@Entity('scorm_registrations')
export class RegistrationEntity {
  @PrimaryColumn({ length: 128, type: 'varchar' })
  id: string;

  @Column({ length: 255, name: 'course_id', type: 'varchar' })
  courseId: string;

  @Column({ length: 255, name: 'learner_id', type: 'varchar' })
  learnerId: string;

  @Column({ length: 255, name: 'learner_first_name', type: 'varchar' })
  learnerFirstName: string;

  @Column({ length: 255, name: 'learner_last_name', type: 'varchar' })
  learnerLastName: string;

  @Column({ length: 255, name: 'context_id', nullable: true, type: 'varchar' })
  contextId: string | null;

  @Column({ length: 255, name: 'created_by', type: 'varchar' })
  createdBy: string;

  @Column({ default: 0, type: 'integer' })
  instance: number;

  @TimestampColumn({ name: 'launched_at', nullable: true })
  launchedAt: Date | null;

  @TimestampColumn({ name: 'last_postback_at', nullable: true })
  lastPostbackAt: Date | null;

  @TimestampColumn({ name: 'last_synced_at', nullable: true })
  lastSyncedAt: Date | null;

  @Column({ length: 16, name: 'progress_source', nullable: true, type: 'varchar' })
  progressSource: ProgressSource | null;

  /** When SCORM Cloud was found to no longer have it; its last known progress stays for the LMS's records. */
  @TimestampColumn({ name: 'deleted_upstream_at', nullable: true })
  deletedUpstreamAt: Date | null;

  @TimestampColumn({ name: 'created_at' })
  createdAt: Date;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt: Date;
}
