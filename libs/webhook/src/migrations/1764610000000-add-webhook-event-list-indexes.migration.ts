import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * The events list's outcome filter. Nearly every postback is `applied`, so that filter walks the primary key and
 * finds a page at once; the rare outcomes get a partial index that only they enter, which costs ingest nothing for
 * an applied postback. Registration, learner and course use existing indexes, the time range the primary key
 * (UUIDv7 ids), so nothing else is added to every insert.
 */
export class AddWebhookEventListIndexes1764610000000 implements MigrationInterface {
  name = 'AddWebhookEventListIndexes1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'webhook_events',
      new TableIndex({
        columnNames: ['outcome', 'id'],
        name: 'IDX_webhook_events_outcome',
        where: "outcome <> 'applied'",
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('webhook_events', 'IDX_webhook_events_outcome');
  }
}
