import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { col } from '../migration-helpers';

/**
 * One row per background job that must run on one instance at a time (reconciliation, sweeps, pruning): who holds
 * it and until when, in epoch milliseconds on the database's clock, so instances never compare their own clocks.
 */
export class CreateJobLeases1764400000000 implements MigrationInterface {
  name = 'CreateJobLeases1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        columns: [{ ...col.varchar('name', 100), isPrimary: true }, col.varchar('holder', 200), col.real('expires_at')],
        name: 'job_leases',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_leases');
  }
}
