import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Course imports followed until they finish, so `course.import_finished` is announced once, even after a restart. */
export class CreateScormCourseImports1764500100000 implements MigrationInterface {
  name = 'CreateScormCourseImports1764500100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [
          { ...col.varchar('job_id', 255), isPrimary: true },
          col.varchar('course_id', 255),
          col.varchar('status', 16),
          col.text('message', { isNullable: true }),
          col.timestamp('started_at'),
          col.timestamp('checked_at'),
          col.timestamp('finished_at', { isNullable: true }),
        ],
        name: 'scorm_course_imports',
      }),
    );
    await queryRunner.createIndex(
      'scorm_course_imports',
      new TableIndex({ columnNames: ['finished_at', 'checked_at'], name: 'idx_scorm_course_imports_unfinished' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scorm_course_imports');
  }
}
