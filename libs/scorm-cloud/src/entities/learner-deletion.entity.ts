import { TimestampColumn } from '@app/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The receipt of a learner's data deletion, kept so a repeated request answers the same receipt. It holds the
 * learner's id (the LMS's own, not a name) and counts only: nothing else about the learner survives the deletion.
 */
@Entity('scorm_learner_deletions')
export class LearnerDeletionEntity {
  @PrimaryColumn({ length: 255, name: 'learner_id', type: 'varchar' })
  learnerId: string;

  @Column({ length: 64, name: 'receipt_id', type: 'varchar' })
  receiptId: string;

  /** The receipt as answered (JSON). */
  @Column({ type: 'text' })
  receipt: string;

  @TimestampColumn({ name: 'deleted_at' })
  deletedAt: Date;
}
