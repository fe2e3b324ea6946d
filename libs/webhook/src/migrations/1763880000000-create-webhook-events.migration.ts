import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The postback event store. One unique key makes duplicate deliveries land once: (instance, updated,
 * registration) when the payload carries an update time, else the body hash. Same body implies the same
 * key either way, so one index covers both rules. Ids are time-ordered (UUIDv7), so newest-first paging
 * walks the primary key and no received_at index is needed: each index is paid on every postback.
 */
export class CreateWebhookEvents1763880000000 implements MigrationInterface {
  name = 'CreateWebhookEvents1763880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [
          col.id(),
          col.timestamp('received_at'),
          col.varchar('shape', 16),
          col.varchar('method', 8),
          col.varchar('content_type', 255, { isNullable: true }),
          col.text('raw_body'),
          col.varchar('body_hash', 64),
          col.varchar('dedup_key', 320),
          col.varchar('registration_id', 255),
          col.int('instance'),
          col.timestamp('updated', { isNullable: true }),
          col.varchar('completion', 16),
          col.varchar('success', 16),
          col.real('score', { isNullable: true }),
          col.real('total_seconds', { isNullable: true }),
          col.timestamp('first_access_date', { isNullable: true }),
          col.timestamp('last_access_date', { isNullable: true }),
          col.timestamp('completed_date', { isNullable: true }),
          col.varchar('auth_method', 16),
          col.bool('token_verified'),
          col.varchar('outcome', 24),
          col.bool('unknown_registration'),
        ],
        name: 'webhook_events',
      }),
    );
    await queryRunner.createIndices('webhook_events', [
      new TableIndex({ columnNames: ['dedup_key'], isUnique: true, name: 'UQ_webhook_events_dedup_key' }),
      new TableIndex({ columnNames: ['registration_id', 'id'], name: 'IDX_webhook_events_registration' }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_events');
  }
}
