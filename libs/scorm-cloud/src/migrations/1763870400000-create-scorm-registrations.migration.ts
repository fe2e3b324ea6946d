import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Registrations created through the gateway and the per-instance progress projection fed by postbacks and API reads. */
export class CreateScormRegistrations1763870400000 implements MigrationInterface {
  name = 'CreateScormRegistrations1763870400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [
          col.varchar('id', 128, { isPrimary: true }),
          col.varchar('course_id', 255),
          col.varchar('learner_id', 255),
          col.varchar('learner_first_name', 255),
          col.varchar('learner_last_name', 255),
          col.varchar('context_id', 255, { isNullable: true }),
          col.varchar('created_by', 255),
          col.int('instance', { default: 0 }),
          col.timestamp('launched_at', { isNullable: true }),
          col.timestamp('last_postback_at', { isNullable: true }),
          col.timestamp('last_synced_at', { isNullable: true }),
          col.varchar('progress_source', 16, { isNullable: true }),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
        ],
        name: 'scorm_registrations',
      }),
    );
    await queryRunner.createIndex(
      'scorm_registrations',
      new TableIndex({ columnNames: ['learner_id'], name: 'idx_scorm_registrations_learner' }),
    );
    await queryRunner.createIndex(
      'scorm_registrations',
      new TableIndex({ columnNames: ['course_id'], name: 'idx_scorm_registrations_course' }),
    );
    await queryRunner.createTable(
      new Table({
        columns: [
          col.id(),
          col.varchar('registration_id', 128),
          col.int('instance', { default: 0 }),
          col.varchar('completion', 16),
          col.varchar('success', 16),
          col.real('score', { isNullable: true }),
          col.int('total_seconds', { isNullable: true }),
          col.timestamp('first_access_at', { isNullable: true }),
          col.timestamp('last_access_at', { isNullable: true }),
          col.timestamp('completed_at', { isNullable: true }),
          col.timestamp('progress_updated_at', { isNullable: true }),
          col.varchar('source', 16),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
        ],
        name: 'scorm_registration_progress',
      }),
    );
    await queryRunner.createIndex(
      'scorm_registration_progress',
      new TableIndex({
        columnNames: ['registration_id', 'instance'],
        isUnique: true,
        name: 'uq_scorm_registration_progress_instance',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scorm_registration_progress');
    await queryRunner.dropTable('scorm_registrations');
  }
}
