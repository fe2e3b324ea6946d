import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The outbox. `seq` is SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (never reused) or PostgreSQL's bigserial; the
 * stream's and the deliveries' cursors are positions in it. Readers filter by learner, course context or
 * registration, always in seq order, hence the composite indexes.
 */
export class CreateEvents1764500000000 implements MigrationInterface {
  name = 'CreateEvents1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    await queryRunner.createTable(
      new Table({
        columns: [
          {
            generationStrategy: 'increment',
            isGenerated: true,
            isPrimary: true,
            name: 'seq',
            type: postgres ? 'bigint' : 'integer',
          },
          { ...col.varchar('id', 40), isUnique: true },
          col.varchar('type', 64),
          col.timestamp('occurred_at'),
          col.varchar('registration_id', 128, { isNullable: true }),
          col.varchar('learner_id', 255, { isNullable: true }),
          col.varchar('context_id', 255, { isNullable: true }),
          col.varchar('course_id', 255, { isNullable: true }),
          col.text('payload'),
        ],
        name: 'events',
      }),
    );
    for (const column of ['registration_id', 'learner_id', 'context_id']) {
      await queryRunner.createIndex(
        'events',
        new TableIndex({ columnNames: [column, 'seq'], name: `idx_events_${column}_seq` }),
      );
    }
    await queryRunner.createIndex(
      'events',
      new TableIndex({ columnNames: ['occurred_at'], name: 'idx_events_occurred_at' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('events');
  }
}
