import { MigrationInterface, QueryRunner } from 'typeorm';

const MATERIAL_EVENTS = "type IN ('bazaar.material_added', 'bazaar.material_removed')";
const INDEX = 'idx_events_actor_id';

/**
 * `bazaar.material_added` and `bazaar.material_removed` name the LMS user who acted (`added_by`, `removed_by`), and
 * a learner data deletion of that user must erase them. They are the course's events (everyone in the course may see
 * them), so that user is not their learner: `actor_id` holds them, set when an event is appended (EventOutbox), and
 * here filled for events already stored, from the payload: `added_by` is the user id, `removed_by` is `user:<id>`
 * (or `api-key:<name>`, no person). The index is partial: only events with an actor pay for an entry, so the
 * progress events appended with every postback cost no more than before.
 */
export class AddEventActor1764750000000 implements MigrationInterface {
  name = 'AddEventActor1764750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    await queryRunner.query('ALTER TABLE events ADD COLUMN actor_id varchar(255)');
    const field = (name: string) =>
      postgres ? `(payload::json -> 'data' ->> '${name}')` : `json_extract(payload, '$.data.${name}')`;
    const user = `CASE WHEN ${field('removed_by')} LIKE 'user:%' THEN substr(${field('removed_by')}, 6) END`;
    await queryRunner.query(
      `UPDATE events SET actor_id = COALESCE(NULLIF(${field('added_by')}, ''), ${user}) WHERE ${MATERIAL_EVENTS}`,
    );
    await queryRunner.query(`CREATE INDEX ${INDEX} ON events (actor_id) WHERE actor_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ${INDEX}`);
    await queryRunner.query('ALTER TABLE events DROP COLUMN actor_id');
  }
}
