import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * When SCORM Cloud was found to no longer have a registration (deleted in its UI, or an account reset). The row
 * and its progress stay for the LMS's records; the learner enrols again under a new registration.
 */
export class AddRegistrationDeletedUpstream1764300000000 implements MigrationInterface {
  name = 'AddRegistrationDeletedUpstream1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'scorm_registrations',
      new TableColumn(col.timestamp('deleted_upstream_at', { isNullable: true })),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('scorm_registrations', 'deleted_upstream_at');
  }
}
