import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event to one subscription, from fan-out until it succeeds or its retries are exhausted. */
@Entity('event_deliveries')
export class EventDeliveryEntity {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ length: 40, name: 'subscription_id', type: 'varchar' })
  subscriptionId: string;

  @Column({ name: 'event_seq', type: 'integer' })
  eventSeq: number;

  @Column({ length: 40, name: 'event_id', type: 'varchar' })
  eventId: string;

  @Column({ length: 64, name: 'event_type', type: 'varchar' })
  eventType: string;

  /** The ordering key: a registration's deliveries to one endpoint go one at a time, in outbox order. */
  @Column({ length: 128, name: 'registration_id', nullable: true, type: 'varchar' })
  registrationId: string | null;

  @Column({ length: 16, type: 'varchar' })
  status: DeliveryStatus;

  @Column({ type: 'integer' })
  attempts: number;

  /** Epoch ms on the database's clock. */
  @Column({ name: 'next_attempt_at', type: 'double precision' })
  nextAttemptAt: number;

  /** The claim's lease (epoch ms, database clock): past it, a claimed delivery is claimable again. */
  @Column({ name: 'locked_until', nullable: true, type: 'double precision' })
  lockedUntil: number | null;

  @Column({ length: 160, name: 'locked_by', nullable: true, type: 'varchar' })
  lockedBy: string | null;

  @Column({ name: 'last_status_code', nullable: true, type: 'integer' })
  lastStatusCode: number | null;

  @Column({ length: 500, name: 'last_error', nullable: true, type: 'varchar' })
  lastError: string | null;

  @TimestampColumn({ name: 'created_at' })
  createdAt: Date;

  @TimestampColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;
}
