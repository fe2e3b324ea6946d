import { MigrationInterface, QueryRunner } from 'typeorm';

const RENAMES: [string, string][] = [
  ['updated', 'progress_updated_at'],
  ['first_access_date', 'first_access_at'],
  ['last_access_date', 'last_access_at'],
  ['completed_date', 'completed_at'],
];

/**
 * The event store's progress columns take the projection's names (scorm_registration_progress), so one field has
 * one name in every table. ALTER TABLE … RENAME COLUMN is the same statement on SQLite (3.25+) and PostgreSQL
 * and rewrites no rows, however many postbacks are stored.
 */
export class RenameWebhookEventColumns1764300000000 implements MigrationInterface {
  name = 'RenameWebhookEventColumns1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [from, to] of RENAMES)
      await queryRunner.query(`ALTER TABLE webhook_events RENAME COLUMN ${from} TO ${to}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [from, to] of RENAMES)
      await queryRunner.query(`ALTER TABLE webhook_events RENAME COLUMN ${to} TO ${from}`);
  }
}
