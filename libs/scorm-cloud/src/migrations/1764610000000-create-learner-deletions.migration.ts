import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Receipts of learner data deletions, one per learner (a repeated deletion answers it again). */
export class CreateLearnerDeletions1764610000000 implements MigrationInterface {
  name = 'CreateLearnerDeletions1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [
          { ...col.varchar('learner_id', 255), isPrimary: true },
          col.varchar('receipt_id', 64),
          col.text('receipt'),
          col.timestamp('deleted_at'),
        ],
        name: 'scorm_learner_deletions',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scorm_learner_deletions');
  }
}
