import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Signed delivery to the LMS back end. `event_subscriptions` holds the endpoints (secrets encrypted, see
 * SubscriptionSecretCipher) and each one's fan-out cursor, a position in `events`. `event_deliveries` has one row
 * per (event, subscription), claimed by workers through `locked_until` (epoch ms on the database's clock, like
 * `next_attempt_at`). `event_delivery_attempts` is the log, pruned by `attempted_at`.
 */
export class CreateEventDeliveries1764600000000 implements MigrationInterface {
  name = 'CreateEventDeliveries1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const serial = (name: string) => ({
      generationStrategy: 'increment' as const,
      isGenerated: true,
      isPrimary: true,
      name,
      type: postgres ? 'bigint' : 'integer',
    });
    const bigint = (name: string) => ({ name, type: postgres ? 'bigint' : 'integer' });
    await queryRunner.createTable(
      new Table({
        columns: [
          { ...col.varchar('id', 40), isPrimary: true },
          col.varchar('name', 100, { isNullable: true, isUnique: true }),
          col.varchar('source', 16),
          col.varchar('url', 2048),
          col.varchar('description', 500, { isNullable: true }),
          col.text('event_types'),
          col.text('secret'),
          col.text('previous_secret', { isNullable: true }),
          col.real('previous_secret_expires_at', { isNullable: true }),
          col.varchar('status', 16),
          col.varchar('disabled_reason', 255, { isNullable: true }),
          col.timestamp('disabled_at', { isNullable: true }),
          col.real('failing_since', { isNullable: true }),
          bigint('cursor_seq'),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
        ],
        name: 'event_subscriptions',
      }),
    );
    await queryRunner.createTable(
      new Table({
        columns: [
          serial('id'),
          col.varchar('subscription_id', 40),
          bigint('event_seq'),
          col.varchar('event_id', 40),
          col.varchar('event_type', 64),
          col.varchar('registration_id', 128, { isNullable: true }),
          col.varchar('status', 16),
          col.int('attempts', { default: 0 }),
          col.real('next_attempt_at'),
          col.real('locked_until', { isNullable: true }),
          col.varchar('locked_by', 160, { isNullable: true }),
          col.int('last_status_code', { isNullable: true }),
          col.varchar('last_error', 500, { isNullable: true }),
          col.timestamp('created_at'),
          col.timestamp('completed_at', { isNullable: true }),
        ],
        name: 'event_deliveries',
        uniques: [{ columnNames: ['subscription_id', 'event_seq'], name: 'uq_event_deliveries_subscription_event' }],
      }),
    );
    // The claim walks one endpoint's due deliveries; the order rule looks for an earlier pending one of a registration.
    await queryRunner.createIndex(
      'event_deliveries',
      new TableIndex({
        columnNames: ['subscription_id', 'event_seq'],
        name: 'idx_event_deliveries_pending',
        where: "status = 'pending'",
      }),
    );
    await queryRunner.createIndex(
      'event_deliveries',
      new TableIndex({
        columnNames: ['subscription_id', 'registration_id', 'event_seq'],
        name: 'idx_event_deliveries_pending_registration',
        where: "status = 'pending'",
      }),
    );
    await queryRunner.createIndex(
      'event_deliveries',
      new TableIndex({ columnNames: ['event_id'], name: 'idx_event_deliveries_event' }),
    );
    await queryRunner.createTable(
      new Table({
        columns: [
          serial('id'),
          bigint('delivery_id'),
          col.varchar('subscription_id', 40),
          col.varchar('event_id', 40),
          col.int('attempt'),
          col.timestamp('attempted_at'),
          col.varchar('result', 16),
          col.int('status_code', { isNullable: true }),
          col.int('duration_ms'),
          col.text('response_excerpt', { isNullable: true }),
          col.varchar('error', 500, { isNullable: true }),
        ],
        name: 'event_delivery_attempts',
      }),
    );
    for (const [name, columns] of [
      ['idx_event_delivery_attempts_attempted_at', ['attempted_at']],
      ['idx_event_delivery_attempts_delivery', ['delivery_id', 'id']],
      ['idx_event_delivery_attempts_subscription', ['subscription_id', 'id']],
    ] as const) {
      await queryRunner.createIndex('event_delivery_attempts', new TableIndex({ columnNames: [...columns], name }));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('event_delivery_attempts');
    await queryRunner.dropTable('event_deliveries');
    await queryRunner.dropTable('event_subscriptions');
  }
}
