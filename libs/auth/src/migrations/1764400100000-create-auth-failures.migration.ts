import { col } from '@app/persistence';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Failed authentications per client, counted once for all instances on PostgreSQL (AuthFailureRepository): the
 * count in the current one-minute window and the block, in epoch milliseconds on the database's clock. Created on
 * SQLite too (the same migrations run everywhere), where one process counts in memory instead.
 */
export class CreateAuthFailures1764400100000 implements MigrationInterface {
  name = 'CreateAuthFailures1764400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [
          { ...col.varchar('client', 100), isPrimary: true },
          col.int('failures'),
          col.real('window_ends_at'),
          col.real('blocked_until', { isNullable: true }),
        ],
        name: 'auth_failures',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_failures');
  }
}
