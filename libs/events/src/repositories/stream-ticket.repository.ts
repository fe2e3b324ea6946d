import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** What redeeming a ticket found: the caller it was issued to, and whether it had expired (on the database clock). */
export interface RedeemedTicket {
  caller: string;
  expired: boolean;
}

/** The stream tickets' SQL: issue, redeem once (a DELETE, so only one instance can win it), sweep expired ones. */
@Injectable()
export class StreamTicketRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async issue(hash: string, caller: string, ttlMs: number): Promise<void> {
    const sql = new Sql(this.dataSource.manager);
    await sql.query(
      `INSERT INTO stream_tickets (ticket_hash, caller, expires_at) VALUES (${sql.marks(2)}, ${sql.nowMs()} + ${sql.mark(2)})`,
      [hash, caller, ttlMs],
    );
  }

  /** Deletes the ticket and answers what it held; undefined when it is unknown or was already redeemed. */
  async redeem(hash: string): Promise<RedeemedTicket | undefined> {
    const sql = new Sql(this.dataSource.manager);
    const rows = await sql.query<{ caller: string; expired: number | boolean }[]>(
      `DELETE FROM stream_tickets WHERE ticket_hash = ${sql.mark(0)} ` +
        `RETURNING caller, CASE WHEN expires_at <= ${sql.nowMs()} THEN 1 ELSE 0 END AS expired`,
      [hash],
    );
    const [row] = rows;
    return row && { caller: row.caller, expired: Number(row.expired) === 1 };
  }

  async deleteExpired(): Promise<void> {
    const sql = new Sql(this.dataSource.manager);
    await sql.query(`DELETE FROM stream_tickets WHERE expires_at <= ${sql.nowMs()}`, []);
  }
}
