import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { CompletionStatus, SuccessStatus } from '../registrations/registration-progress.types';
import type { ProgressSource } from './registration.entity';

/** Latest known progress of one registration instance; `progressUpdatedAt` is SCORM Cloud's own `updated`. */
@Entity('scorm_registration_progress')
export class RegistrationProgressEntity {
  @PrimaryColumn({ length: 36, type: 'varchar' })
  id: string;

  @Column({ length: 128, name: 'registration_id', type: 'varchar' })
  registrationId: string;

  @Column({ default: 0, type: 'integer' })
  instance: number;

  @Column({ length: 16, type: 'varchar' })
  completion: CompletionStatus;

  @Column({ length: 16, type: 'varchar' })
  success: SuccessStatus;

  @Column({ nullable: true, type: 'double precision' })
  score: number | null;

  @Column({ name: 'total_seconds', nullable: true, type: 'integer' })
  totalSeconds: number | null;

  @TimestampColumn({ name: 'first_access_at', nullable: true })
  firstAccessAt: Date | null;

  @TimestampColumn({ name: 'last_access_at', nullable: true })
  lastAccessAt: Date | null;

  @TimestampColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;

  @TimestampColumn({ name: 'progress_updated_at', nullable: true })
  progressUpdatedAt: Date | null;

  @Column({ length: 16, type: 'varchar' })
  source: ProgressSource;

  @TimestampColumn({ name: 'created_at' })
  createdAt: Date;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt: Date;
}
