import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { MaterialEntity } from '../entities/material.entity';

export interface MaterialViewRow {
  id: string;
  contextId: string;
  uid: string;
  userId: string;
  role: string;
  outcome: string;
  viewedAt: Date;
}

export type NewMaterial = Omit<MaterialEntity, 'addedAt' | 'updatedAt'> & { addedAt: Date; updatedAt: Date };

/**
 * The materials' and their views' SQL. The view path's statements are hand-written: TypeORM's query builders cost
 * more CPU than the statements themselves there (bench/bazaar.bench.js).
 */
@Injectable()
export class MaterialRepository {
  private readonly sql: Sql;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.sql = new Sql(dataSource.manager);
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** A course's materials oldest first by (added_at, uid), after the pair `after`; at most `limit`. */
  page(contextId: string, limit: number, after?: [string, string]): Promise<MaterialEntity[]> {
    const builder = this.dataSource
      .getRepository(MaterialEntity)
      .createQueryBuilder('m')
      .where('m.context_id = :contextId', { contextId })
      .orderBy('m.added_at', 'ASC')
      .addOrderBy('m.uid', 'ASC')
      .limit(limit);
    if (after) {
      const [addedAt, uid] = after;
      builder.andWhere('(m.added_at > :addedAt OR (m.added_at = :addedAt AND m.uid > :uid))', { addedAt, uid });
    }
    return builder.getMany();
  }

  /**
   * Logs a view of a material, in the one statement that also checks the course has it (the view path's only
   * database round trip before Bazaar is called): false, and nothing logged, when it has not.
   */
  async insertViewIfPresent(row: MaterialViewRow): Promise<boolean> {
    const rows = await this.sql.query<unknown[]>(
      'INSERT INTO bazaar_material_views (id, context_id, uid, user_id, role, outcome, viewed_at) ' +
        // Typed, as PostgreSQL cannot infer a parameter's type in a SELECT list; TEXT still meets the columns' limits.
        `SELECT ${[0, 1, 2, 3, 4, 5, 6].map((i) => `CAST(${this.sql.mark(i)} AS TEXT)`).join(', ')} ` +
        'WHERE EXISTS (SELECT 1 FROM bazaar_materials ' +
        `WHERE context_id = ${this.sql.mark(7)} AND uid = ${this.sql.mark(8)}) RETURNING id`,
      [row.id, row.contextId, row.uid, row.userId, row.role, row.outcome, row.viewedAt.toISOString()].concat([
        row.contextId,
        row.uid,
      ]),
    );
    return rows.length > 0;
  }

  async setViewOutcome(id: string, outcome: string): Promise<void> {
    await this.sql.query(
      `UPDATE bazaar_material_views SET outcome = ${this.sql.mark(0)} WHERE id = ${this.sql.mark(1)}`,
      [outcome, id],
    );
  }

  /** Same uid in the same course again updates the one row (the unique index settles concurrent adds). */
  async upsert(manager: EntityManager, rows: NewMaterial[]): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(MaterialEntity)
      .values(rows)
      .orUpdate(['name', 'description', 'images', 'updated_at'], ['context_id', 'uid'])
      .execute();
  }

  /** Learner erasure: whether a view by the user is stored. */
  async hasViewsBy(userId: string): Promise<boolean> {
    const rows = await this.sql.query<unknown[]>(
      `SELECT 1 FROM bazaar_material_views WHERE user_id = ${this.sql.mark(0)} LIMIT 1`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Learner erasure: whether a material still names the user as its `added_by`. */
  async hasAddedBy(userId: string): Promise<boolean> {
    const rows = await this.sql.query<unknown[]>(
      `SELECT 1 FROM bazaar_materials WHERE added_by = ${this.sql.mark(0)} LIMIT 1`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Learner erasure: deletes every view the user made, in the caller's transaction; answers how many. */
  async deleteViewsBy(manager: EntityManager, userId: string): Promise<number> {
    const sql = new Sql(manager);
    const rows = await sql.query<unknown[]>(
      `DELETE FROM bazaar_material_views WHERE user_id = ${sql.mark(0)} RETURNING id`,
      [userId],
    );
    return rows.length;
  }

  /**
   * Learner erasure: the materials the user added stay in their courses (others use them), without the user's id;
   * answers how many.
   */
  async forgetAddedBy(manager: EntityManager, userId: string): Promise<number> {
    const sql = new Sql(manager);
    const rows = await sql.query<unknown[]>(
      `UPDATE bazaar_materials SET added_by = '' WHERE added_by = ${sql.mark(0)} RETURNING id`,
      [userId],
    );
    return rows.length;
  }

  /** Answers whether there was such a material. */
  async delete(manager: EntityManager, contextId: string, uid: string): Promise<boolean> {
    const result = await manager.delete(MaterialEntity, { contextId, uid });
    return Boolean(result.affected);
  }
}
