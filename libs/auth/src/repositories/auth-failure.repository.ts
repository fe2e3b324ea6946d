import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface CountedFailure {
  /** How long the client stays blocked from now (0: not blocked). */
  blockedMs: number;
  /** This failure started the block (exactly one caller sees it, so one instance announces it). */
  newlyBlocked: boolean;
}

/** Failed authentications per client on PostgreSQL: one atomic upsert per failure, nothing per success. */
@Injectable()
export class AuthFailureRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Counts one failure in the client's window (a new window starts when the last one is over) and blocks the client
   * once the window holds more than `limit`. The row lock of the upsert makes concurrent failures on several
   * instances count one after another, so the block starts at exactly the limit + 1st failure in total.
   */
  async count(client: string, limit: number, windowMs: number, blockMs: number): Promise<CountedFailure> {
    const sql = new Sql(this.dataSource.manager);
    const now = sql.nowMs();
    const failures = `CASE WHEN f.window_ends_at <= ${now} THEN 1 ELSE f.failures + 1 END`;
    const rows = await sql.query<{ blocked_ms: number | string | null; newly: boolean | number }[]>(
      'INSERT INTO auth_failures AS f (client, failures, window_ends_at, blocked_until) ' +
        `VALUES ($1, 1, ${now} + $2, CASE WHEN 1 > $3 THEN ${now} + $4 END) ON CONFLICT (client) DO UPDATE SET ` +
        `failures = ${failures}, ` +
        `window_ends_at = CASE WHEN f.window_ends_at <= ${now} THEN ${now} + $2 ELSE f.window_ends_at END, ` +
        `blocked_until = CASE WHEN f.blocked_until > ${now} THEN f.blocked_until ` +
        `WHEN ${failures} > $3 THEN ${now} + $4 END ` +
        // now() is one value per statement, so a block set by this statement ends exactly now + blockMs.
        `RETURNING GREATEST(COALESCE(f.blocked_until - ${now}, 0), 0) AS blocked_ms, ` +
        `COALESCE(f.blocked_until = ${now} + $4, false) AS newly`,
      [client, windowMs, limit, blockMs],
    );
    const row = rows[0];
    return { blockedMs: Math.ceil(Number(row?.blocked_ms ?? 0)), newlyBlocked: Boolean(row?.newly) };
  }

  /** The clients blocked right now and for how much longer. */
  async blocked(): Promise<{ client: string; blockedMs: number }[]> {
    const sql = new Sql(this.dataSource.manager);
    const rows = await sql.query<{ client: string; blocked_ms: number | string }[]>(
      `SELECT client, blocked_until - ${sql.nowMs()} AS blocked_ms FROM auth_failures WHERE blocked_until > ${sql.nowMs()}`,
      [],
    );
    return rows.map((row) => ({ blockedMs: Math.ceil(Number(row.blocked_ms)), client: row.client }));
  }

  /** Forgets clients whose window and block ended more than `afterMs` ago. */
  async prune(afterMs: number): Promise<void> {
    const sql = new Sql(this.dataSource.manager);
    await sql.query(
      `DELETE FROM auth_failures WHERE window_ends_at < ${sql.nowMs()} - $1 ` +
        `AND (blocked_until IS NULL OR blocked_until < ${sql.nowMs()} - $1)`,
      [afterMs],
    );
  }
}
