import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { EventType } from '../event.types';

/** The transactional outbox: one row per event, appended in the transaction of the change it announces. */
@Entity('events')
export class EventEntity {
  /** Commit order (see EventOutbox); bigint on PostgreSQL, read back as a string by pg. */
  @PrimaryColumn({ type: 'integer' })
  seq: number;

  @Column({ length: 40, type: 'varchar', unique: true })
  id: string;

  @Column({ length: 64, type: 'varchar' })
  type: EventType;

  @TimestampColumn({ name: 'occurred_at' })
  occurredAt: Date;

  @Column({ length: 128, name: 'registration_id', nullable: true, type: 'varchar' })
  registrationId: string | null;

  @Column({ length: 255, name: 'learner_id', nullable: true, type: 'varchar' })
  learnerId: string | null;

  @Column({ length: 255, name: 'context_id', nullable: true, type: 'varchar' })
  contextId: string | null;

  @Column({ length: 255, name: 'course_id', nullable: true, type: 'varchar' })
  courseId: string | null;

  @Column({ type: 'text' })
  payload: string;

  /** The LMS user who made the change (material events), for a learner data deletion; see NewEvent.actorId. */
  @Column({ length: 255, name: 'actor_id', nullable: true, type: 'varchar' })
  actorId: string | null;
}
