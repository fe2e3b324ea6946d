import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Single-use tickets that open the live event stream from a browser (EventSource sends no Authorization header).
 * Only the SHA-256 of a ticket is kept, with the caller it stands for; redeeming deletes the row, so a ticket opens
 * one stream on whichever instance gets it first. Expiry is on the database's clock, in epoch milliseconds.
 */
export class CreateStreamTickets1764500300000 implements MigrationInterface {
  name = 'CreateStreamTickets1764500300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [{ ...col.varchar('ticket_hash', 64), isPrimary: true }, col.text('caller'), col.real('expires_at')],
        name: 'stream_tickets',
      }),
    );
    await queryRunner.createIndex(
      'stream_tickets',
      new TableIndex({ columnNames: ['expires_at'], name: 'idx_stream_tickets_expires_at' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stream_tickets');
  }
}
