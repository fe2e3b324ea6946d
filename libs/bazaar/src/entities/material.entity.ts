import { TimestampColumn } from '@app/persistence';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import type { MaterialImages } from '../callback-params.decoder';

/** A Bazaar material added to a course; one row per (context_id, uid). */
@Entity('bazaar_materials')
@Index('uq_bazaar_materials_context_uid', ['contextId', 'uid'], { unique: true })
@Index('ix_bazaar_materials_context_added', ['contextId', 'addedAt', 'uid'])
export class MaterialEntity {
  @PrimaryColumn({ length: 36, type: 'varchar' })
  id: string;

  @Column({ length: 128, name: 'context_id', type: 'varchar' })
  contextId: string;

  @Column({ length: 128, type: 'varchar' })
  uid: string;

  @Column({ length: 255, type: 'varchar' })
  name: string;

  @Column({ nullable: true, type: 'text' })
  description: string | null;

  @Column({ nullable: true, type: 'simple-json' })
  images: MaterialImages | null;

  @Column({ length: 255, name: 'added_by', type: 'varchar' })
  addedBy: string;

  @TimestampColumn({ name: 'added_at' })
  addedAt: Date;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt: Date;
}
