import { MigrationInterface, QueryRunner } from 'typeorm';

const MATERIAL_EVENTS = "type IN ('bazaar.material_added', 'bazaar.material_removed')";

/**
 * `bazaar.material_added` and `bazaar.material_removed` name the LMS user who acted (`added_by`, `removed_by`), and
 * a learner data deletion erases the events whose learner column is the user. Material events are now appended with
 * that column set (MaterialsService); this fills it for those already stored, from the payload: `added_by` is the
 * user id, `removed_by` is `user:<id>` (or `api-key:<name>`, no person). Only material events are read, and the
 * outbox keeps RETENTION_DELIVERY_DAYS of events, so the scan is of a bounded table.
 */
export class NameMaterialEventUsers1764750000000 implements MigrationInterface {
  name = 'NameMaterialEventUsers1764750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const field = (name: string) =>
      postgres ? `(payload::json -> 'data' ->> '${name}')` : `json_extract(payload, '$.data.${name}')`;
    const user = `CASE WHEN ${field('removed_by')} LIKE 'user:%' THEN substr(${field('removed_by')}, 6) END`;
    await queryRunner.query(
      `UPDATE events SET learner_id = COALESCE(NULLIF(${field('added_by')}, ''), ${user}) ` +
        `WHERE ${MATERIAL_EVENTS} AND learner_id IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE events SET learner_id = NULL WHERE ${MATERIAL_EVENTS}`);
  }
}
