import { TimestampColumn } from '@app/persistence';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Who opened which material of which course, and when (one row per view request). */
@Entity('bazaar_material_views')
@Index('ix_bazaar_material_views_context_uid', ['contextId', 'uid'])
export class MaterialViewEntity {
  @PrimaryColumn({ length: 36, type: 'varchar' })
  id: string;

  @Column({ length: 128, name: 'context_id', type: 'varchar' })
  contextId: string;

  @Column({ length: 128, type: 'varchar' })
  uid: string;

  @Column({ length: 255, name: 'user_id', type: 'varchar' })
  userId: string;

  @Column({ length: 16, type: 'varchar' })
  role: string;

  /** opened, or the error code Bazaar's refusal mapped to. */
  @Column({ length: 64, type: 'varchar' })
  outcome: string;

  @TimestampColumn({ name: 'viewed_at' })
  viewedAt: Date;
}
