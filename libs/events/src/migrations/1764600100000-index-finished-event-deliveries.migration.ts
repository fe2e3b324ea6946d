import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** Retention finds finished deliveries by when they finished. */
export class IndexFinishedEventDeliveries1764600100000 implements MigrationInterface {
  name = 'IndexFinishedEventDeliveries1764600100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'event_deliveries',
      new TableIndex({ columnNames: ['completed_at'], name: 'idx_event_deliveries_completed_at' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('event_deliveries', 'idx_event_deliveries_completed_at');
  }
}
