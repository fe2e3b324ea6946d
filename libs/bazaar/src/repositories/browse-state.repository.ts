import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { BrowseStateEntity } from '../entities/browse-state.entity';

export interface BrowseStateRow {
  id: string;
  stateHash: string;
  userId: string;
  role: string;
  contextId: string;
  returnUrl: string;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * The browse states' SQL. The insert is on the browse path and hand-written: TypeORM's query builders cost more CPU
 * than the statement itself there (bench/bazaar.bench.js). ISO timestamps as BrowseStateEntity maps them.
 */
@Injectable()
export class BrowseStateRepository {
  private readonly sql: Sql;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.sql = new Sql(dataSource.manager);
  }

  async insert(row: BrowseStateRow): Promise<void> {
    await this.sql.query(
      'INSERT INTO bazaar_browse_states (id, state_hash, user_id, role, context_id, return_url, created_at, ' +
        `expires_at, consumed_at, outcome) VALUES (${this.sql.marks(8)}, NULL, NULL)`,
      [
        row.id,
        row.stateHash,
        row.userId,
        row.role,
        row.contextId,
        row.returnUrl,
        row.createdAt.toISOString(),
        row.expiresAt.toISOString(),
      ],
    );
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.getRepository(BrowseStateEntity).delete({ id });
  }

  /**
   * Marks the unconsumed, unexpired state used in the caller's transaction, atomically (of two concurrent callbacks
   * exactly one gets it); answers whether this call did, and the row as it now is (undefined: unknown).
   */
  async consume(
    manager: EntityManager,
    stateHash: string,
    at: Date,
    outcome: string,
  ): Promise<{ consumed: boolean; row: BrowseStateEntity | null }> {
    const result = await manager
      .createQueryBuilder()
      .update(BrowseStateEntity)
      .set({ consumedAt: at, outcome })
      .where('state_hash = :stateHash AND consumed_at IS NULL AND expires_at > :now', {
        now: at.toISOString(),
        stateHash,
      })
      .execute();
    const row = await manager.findOne(BrowseStateEntity, { where: { stateHash } });
    return { consumed: result.affected === 1 && row !== null, row };
  }

  /** Learner erasure: whether a browse state of the user is stored. */
  async existsFor(userId: string): Promise<boolean> {
    const rows = await this.sql.query<unknown[]>(
      `SELECT 1 FROM bazaar_browse_states WHERE user_id = ${this.sql.mark(0)} LIMIT 1`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Learner erasure: deletes the user's browse states, used or not, in the caller's transaction; answers how many. */
  async deleteBy(manager: EntityManager, userId: string): Promise<number> {
    const sql = new Sql(manager);
    const rows = await sql.query<unknown[]>(
      `DELETE FROM bazaar_browse_states WHERE user_id = ${sql.mark(0)} RETURNING id`,
      [userId],
    );
    return rows.length;
  }

  /** Deletes states that expired before `before`. */
  async sweep(before: Date): Promise<void> {
    // Raw ISO string: the timestamp transformer would try to convert a FindOperator.
    await this.dataSource
      .getRepository(BrowseStateEntity)
      .createQueryBuilder()
      .delete()
      .where('expires_at < :before', { before: before.toISOString() })
      .execute();
  }
}
