import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** A course's materials page by (added_at, uid): the cursor seeks this index instead of sorting the course. */
export class AddMaterialListIndex1764610000000 implements MigrationInterface {
  name = 'AddMaterialListIndex1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'bazaar_materials',
      new TableIndex({ columnNames: ['context_id', 'added_at', 'uid'], name: 'ix_bazaar_materials_context_added' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('bazaar_materials', 'ix_bazaar_materials_context_added');
  }
}
