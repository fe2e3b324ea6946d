import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * The outbox's (registration_id, seq) index had no reader: the stream scopes callers by learner and course context,
 * deliveries read by seq, erasure by learner. It cost every appended event a leaf page wherever its registration
 * sorts (measured with better-sqlite3: an event row with it 59-61 us of CPU, without it 36-37 us), and each of those
 * pages is written again at every commit. A query by registration scans from its seq cursor instead.
 */
export class DropEventsRegistrationIndex1764730000000 implements MigrationInterface {
  name = 'DropEventsRegistrationIndex1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('events', 'idx_events_registration_id_seq');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'events',
      new TableIndex({ columnNames: ['registration_id', 'seq'], name: 'idx_events_registration_id_seq' }),
    );
  }
}
