import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * One row per open event stream on PostgreSQL, so EVENT_STREAM_MAX_PER_CALLER counts a caller's streams on every
 * instance together (StreamLeaseRepository): the caller, the instance holding it, and until when it counts unless
 * renewed, in epoch milliseconds on the database's clock. A killed instance's rows stop counting once they expire.
 * Created on SQLite too (the same migrations run everywhere), where the one process counts in memory instead.
 */
export class CreateStreamLeases1764740000000 implements MigrationInterface {
  name = 'CreateStreamLeases1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [col.id(), col.text('caller'), col.varchar('holder', 200), col.real('expires_at')],
        name: 'stream_leases',
      }),
    );
    await queryRunner.createIndex(
      'stream_leases',
      new TableIndex({ columnNames: ['caller', 'expires_at'], name: 'idx_stream_leases_caller' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stream_leases');
  }
}
