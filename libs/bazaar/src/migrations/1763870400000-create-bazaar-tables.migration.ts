import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class CreateBazaarTables1763870400000 implements MigrationInterface {
  name = 'CreateBazaarTables1763870400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [
          col.id(),
          col.varchar('context_id', 128),
          col.varchar('uid', 128),
          col.varchar('name', 255),
          col.text('description', { isNullable: true }),
          col.text('images', { isNullable: true }),
          col.varchar('added_by', 255),
          col.timestamp('added_at'),
          col.timestamp('updated_at'),
        ],
        name: 'bazaar_materials',
      }),
    );
    await queryRunner.createIndex(
      'bazaar_materials',
      new TableIndex({ columnNames: ['context_id', 'uid'], isUnique: true, name: 'uq_bazaar_materials_context_uid' }),
    );
    await queryRunner.createTable(
      new Table({
        columns: [
          col.id(),
          col.varchar('state_hash', 64, { isUnique: true }),
          col.varchar('user_id', 255),
          col.varchar('role', 16),
          col.varchar('context_id', 128),
          col.text('return_url'),
          col.timestamp('created_at'),
          col.timestamp('expires_at'),
          col.timestamp('consumed_at', { isNullable: true }),
          col.varchar('outcome', 64, { isNullable: true }),
        ],
        name: 'bazaar_browse_states',
      }),
    );
    await queryRunner.createIndex(
      'bazaar_browse_states',
      new TableIndex({ columnNames: ['expires_at'], name: 'ix_bazaar_browse_states_expires_at' }),
    );
    await queryRunner.createTable(
      new Table({
        columns: [
          col.id(),
          col.varchar('context_id', 128),
          col.varchar('uid', 128),
          col.varchar('user_id', 255),
          col.varchar('role', 16),
          col.varchar('outcome', 64),
          col.timestamp('viewed_at'),
        ],
        name: 'bazaar_material_views',
      }),
    );
    await queryRunner.createIndex(
      'bazaar_material_views',
      new TableIndex({ columnNames: ['context_id', 'uid'], name: 'ix_bazaar_material_views_context_uid' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('bazaar_material_views');
    await queryRunner.dropTable('bazaar_browse_states');
    await queryRunner.dropTable('bazaar_materials');
  }
}
