import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single-use `state` put into Bazaar's callback URLs (the callback itself carries no signature). Only
 * the SHA-256 of the state is stored, so a database reader cannot forge a callback.
 */
@Entity('bazaar_browse_states')
export class BrowseStateEntity {
  @PrimaryColumn({ length: 36, type: 'varchar' })
  id: string;

  @Column({ length: 64, name: 'state_hash', type: 'varchar', unique: true })
  stateHash: string;

  @Column({ length: 255, name: 'user_id', type: 'varchar' })
  userId: string;

  @Column({ length: 16, type: 'varchar' })
  role: string;

  @Column({ length: 128, name: 'context_id', type: 'varchar' })
  contextId: string;

  @Column({ name: 'return_url', type: 'text' })
  returnUrl: string;

  @TimestampColumn({ name: 'created_at' })
  createdAt: Date;

  @TimestampColumn({ name: 'expires_at' })
  expiresAt: Date;

  @TimestampColumn({ name: 'consumed_at', nullable: true })
  consumedAt: Date | null;

  /** added, cancelled, or the error code the callback ended with. */
  @Column({ length: 64, nullable: true, type: 'varchar' })
  outcome: string | null;
}
