import { TimestampColumn } from '@app/persistence';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import type { PostbackCompletion, PostbackShape, PostbackSuccess } from '../postback.types';

export type PostbackOutcome = 'applied' | 'stale' | 'unknown_registration';

/**
 * One accepted postback, kept as received (secrets removed) beside its parsed fields. Written by
 * PostbackBatchWriter with plain SQL for speed; this entity serves the reads.
 */
@Entity('webhook_events')
@Index('IDX_webhook_events_registration', ['registrationId', 'id'])
@Index('IDX_webhook_events_outcome', ['outcome', 'id'], { where: "outcome <> 'applied'" })
export class WebhookEventEntity {
  @PrimaryColumn({ length: 36, type: 'varchar' })
  id: string;

  @TimestampColumn({ name: 'received_at' })
  receivedAt: Date;

  @Column({ length: 16, type: 'varchar' })
  shape: PostbackShape;

  @Column({ length: 8, type: 'varchar' })
  method: string;

  @Column({ length: 255, name: 'content_type', nullable: true, type: 'varchar' })
  contentType: string | null;

  @Column({ name: 'raw_body', type: 'text' })
  rawBody: string;

  @Column({ length: 64, name: 'body_hash', type: 'varchar' })
  bodyHash: string;

  /** `instance|updated|registration`, or `sha256:<body hash>` for reports without an update time. */
  @Column({ length: 320, name: 'dedup_key', type: 'varchar', unique: true })
  dedupKey: string;

  @Column({ length: 255, name: 'registration_id', type: 'varchar' })
  registrationId: string;

  /**
   * The registration's learner and course, copied when the postback is stored (null: registration unknown then).
   * Indexed with the id on PostgreSQL only (AddWebhookEventLearnerCourse).
   */
  @Column({ length: 255, name: 'learner_id', nullable: true, type: 'varchar' })
  learnerId: string | null;

  @Column({ length: 255, name: 'course_id', nullable: true, type: 'varchar' })
  courseId: string | null;

  @Column({ type: 'integer' })
  instance: number;

  /** The payload's own update time, when it has one. */
  @TimestampColumn({ name: 'progress_updated_at', nullable: true })
  progressUpdatedAt: Date | null;

  @Column({ length: 16, type: 'varchar' })
  completion: PostbackCompletion;

  @Column({ length: 16, type: 'varchar' })
  success: PostbackSuccess;

  @Column({ nullable: true, type: 'double precision' })
  score: number | null;

  @Column({ name: 'total_seconds', nullable: true, type: 'double precision' })
  totalSeconds: number | null;

  @TimestampColumn({ name: 'first_access_at', nullable: true })
  firstAccessAt: Date | null;

  @TimestampColumn({ name: 'last_access_at', nullable: true })
  lastAccessAt: Date | null;

  @TimestampColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;

  @Column({ length: 16, name: 'auth_method', type: 'varchar' })
  authMethod: 'basic' | 'form' | 'query';

  @Column({ name: 'token_verified', type: 'boolean' })
  tokenVerified: boolean;

  @Column({ length: 24, type: 'varchar' })
  outcome: PostbackOutcome;

  @Column({ name: 'unknown_registration', type: 'boolean' })
  unknownRegistration: boolean;
}
