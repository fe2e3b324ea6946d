import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { col } from '../migration-helpers';

/**
 * How far each pruning target got (the last key it pruned), so a pass continues there instead of walking rows
 * already pruned again, and a restart or another instance picks up the same place.
 */
export class CreateRetentionMarks1764610000000 implements MigrationInterface {
  name = 'CreateRetentionMarks1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [{ ...col.varchar('name', 100), isPrimary: true }, col.varchar('mark', 320)],
        name: 'retention_marks',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('retention_marks');
  }
}
