import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type SubscriptionSource = 'api' | 'config';
export type SubscriptionStatus = 'active' | 'disabled';

/** An LMS endpoint events are delivered to (see the migration for the column rules). */
@Entity('event_subscriptions')
export class EventSubscriptionEntity {
  /** `sub_<uuid>` */
  @PrimaryColumn({ length: 40, type: 'varchar' })
  id: string;

  /** Unique; config-declared subscriptions are upserted by it. */
  @Column({ length: 100, nullable: true, type: 'varchar', unique: true })
  name: string | null;

  @Column({ length: 16, type: 'varchar' })
  source: SubscriptionSource;

  @Column({ length: 2048, type: 'varchar' })
  url: string;

  @Column({ length: 500, nullable: true, type: 'varchar' })
  description: string | null;

  /** JSON array of event types, `["*"]` for all. */
  @Column({ name: 'event_types', type: 'text' })
  eventTypes: string;

  /** Encrypted (SubscriptionSecretCipher). */
  @Column({ type: 'text' })
  secret: string;

  @Column({ name: 'previous_secret', nullable: true, type: 'text' })
  previousSecret: string | null;

  /** Epoch ms: until then deliveries are signed with the previous secret too. */
  @Column({ name: 'previous_secret_expires_at', nullable: true, type: 'double precision' })
  previousSecretExpiresAt: number | null;

  @Column({ length: 16, type: 'varchar' })
  status: SubscriptionStatus;

  @Column({ length: 255, name: 'disabled_reason', nullable: true, type: 'varchar' })
  disabledReason: string | null;

  @TimestampColumn({ name: 'disabled_at', nullable: true })
  disabledAt: Date | null;

  /** Epoch ms of the first failure since the last success; null while healthy. */
  @Column({ name: 'failing_since', nullable: true, type: 'double precision' })
  failingSince: number | null;

  /** The last outbox position fanned out to this subscription. */
  @Column({ name: 'cursor_seq', type: 'integer' })
  cursorSeq: number;

  @TimestampColumn({ name: 'created_at' })
  createdAt: Date;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt: Date;
}
