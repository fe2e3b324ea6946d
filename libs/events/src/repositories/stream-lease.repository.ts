import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * The first key of the transaction-scoped advisory lock that orders one caller's stream reservations (the second is
 * a hash of the caller); an arbitrary constant, spelling "strm".
 */
const STREAM_LOCK = 0x7374_726d;

/**
 * The `stream_leases` rows on PostgreSQL: one per open event stream, so a caller's streams on every instance count
 * against one limit. Times are on the database's clock.
 */
@Injectable()
export class StreamLeaseRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts the lease when the caller holds fewer than `max` unexpired ones; true when it did. The caller's advisory
   * lock is taken in a statement of its own, before the count: a READ COMMITTED statement sees what was committed
   * before it started, so two instances reserving for one caller at once count one after the other.
   */
  take(id: string, caller: string, holder: string, max: number, ttlMs: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const sql = new Sql(manager);
      const now = sql.nowMs();
      await sql.query(`SELECT pg_advisory_xact_lock(${STREAM_LOCK}, hashtext($1))`, [caller]);
      const rows = await sql.query<unknown[]>(
        `INSERT INTO stream_leases (id, caller, holder, expires_at) SELECT $1, $2, $3, ${now} + $4 ` +
          `WHERE (SELECT COUNT(*) FROM stream_leases WHERE caller = $2 AND expires_at > ${now}) < $5 RETURNING id`,
        [id, caller, holder, ttlMs, max],
      );
      return rows.length === 1;
    });
  }

  /**
   * Extends the unexpired leases among `ids` that `holder` holds, in one statement; answers those extended. An
   * expired one is not revived: its slot may have been taken since.
   */
  async renew(ids: string[], holder: string, ttlMs: number): Promise<Set<string>> {
    const sql = new Sql(this.dataSource.manager);
    const now = sql.nowMs();
    const rows = await sql.query<{ id: string }[]>(
      `UPDATE stream_leases SET expires_at = ${now} + $1 ` +
        `WHERE holder = $2 AND id = ANY($3) AND expires_at > ${now} RETURNING id`,
      [ttlMs, holder, ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  async release(id: string): Promise<void> {
    await new Sql(this.dataSource.manager).query('DELETE FROM stream_leases WHERE id = $1', [id]);
  }

  /** Every lease `holder` holds (its shutdown). */
  async releaseAll(holder: string): Promise<void> {
    await new Sql(this.dataSource.manager).query('DELETE FROM stream_leases WHERE holder = $1', [holder]);
  }

  /** Forgets expired leases (those of killed instances; they stopped counting when they expired). */
  async deleteExpired(): Promise<void> {
    const sql = new Sql(this.dataSource.manager);
    await sql.query(`DELETE FROM stream_leases WHERE expires_at <= ${sql.nowMs()}`, []);
  }
}
