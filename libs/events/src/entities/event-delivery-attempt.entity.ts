import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AttemptResult = 'success' | 'failure' | 'timeout' | 'error';

/** The delivery log: one row per HTTP attempt; pruned by `attempted_at`. */
@Entity('event_delivery_attempts')
export class EventDeliveryAttemptEntity {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'delivery_id', type: 'integer' })
  deliveryId: number;

  @Column({ length: 40, name: 'subscription_id', type: 'varchar' })
  subscriptionId: string;

  @Column({ length: 40, name: 'event_id', type: 'varchar' })
  eventId: string;

  @Column({ type: 'integer' })
  attempt: number;

  @TimestampColumn({ name: 'attempted_at' })
  attemptedAt: Date;

  @Column({ length: 16, type: 'varchar' })
  result: AttemptResult;

  @Column({ name: 'status_code', nullable: true, type: 'integer' })
  statusCode: number | null;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;

  /** The first 1 kB of the response body. */
  @Column({ name: 'response_excerpt', nullable: true, type: 'text' })
  responseExcerpt: string | null;

  @Column({ length: 500, nullable: true, type: 'varchar' })
  error: string | null;
}
