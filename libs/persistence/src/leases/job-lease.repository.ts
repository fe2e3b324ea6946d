import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Sql } from '../sql';

/** The `job_leases` rows: one per background job, held by one instance until it expires. */
@Injectable()
export class JobLeaseRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Takes the lease when nobody holds it, it expired, or `holder` holds it already; one statement, so of several
   * instances asking at once exactly one gets it (the others wait on the row lock, then find it taken).
   */
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const sql = new Sql(this.dataSource.manager);
    const now = sql.nowMs();
    const rows = await sql.query<unknown[]>(
      `INSERT INTO job_leases (name, holder, expires_at) VALUES (${sql.marks(2)}, ${now} + ${sql.mark(2)}) ` +
        'ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at ' +
        `WHERE job_leases.expires_at <= ${now} OR job_leases.holder = excluded.holder RETURNING name`,
      [name, holder, ttlMs],
    );
    return rows.length === 1;
  }

  /** Extends a lease `holder` still holds; false when another instance has taken it meanwhile. */
  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const sql = new Sql(this.dataSource.manager);
    const rows = await sql.query<unknown[]>(
      `UPDATE job_leases SET expires_at = ${sql.nowMs()} + ${sql.mark(0)} ` +
        `WHERE name = ${sql.mark(1)} AND holder = ${sql.mark(2)} RETURNING name`,
      [ttlMs, name, holder],
    );
    return rows.length === 1;
  }

  /** Ends a lease early, so any instance may take the job at its next tick. */
  async release(name: string, holder: string): Promise<void> {
    const sql = new Sql(this.dataSource.manager);
    await sql.query(
      `UPDATE job_leases SET expires_at = ${sql.nowMs()} WHERE name = ${sql.mark(0)} AND holder = ${sql.mark(1)}`,
      [name, holder],
    );
  }
}
