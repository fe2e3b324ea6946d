import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

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

export interface MaterialViewRow {
  id: string;
  contextId: string;
  uid: string;
  userId: string;
  role: string;
  outcome: string;
  viewedAt: Date;
}

/**
 * The statements on the browse and view path, one hand-written statement each: TypeORM's query builders cost more
 * CPU than the statements themselves there (bench/bazaar.bench.js). Columns and ISO timestamps as the entities
 * (BrowseStateEntity, MaterialViewEntity, MaterialEntity) map them.
 */
@Injectable()
export class BazaarRequestsRepository {
  private readonly sql: Sql;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new Sql(dataSource.manager);
  }

  async insertBrowseState(row: BrowseStateRow): Promise<void> {
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

  async materialExists(contextId: string, uid: string): Promise<boolean> {
    const rows = await this.sql.query<unknown[]>(
      `SELECT 1 AS found FROM bazaar_materials WHERE context_id = ${this.sql.mark(0)} AND uid = ${this.sql.mark(1)} LIMIT 1`,
      [contextId, uid],
    );
    return rows.length > 0;
  }

  async insertMaterialView(row: MaterialViewRow): Promise<void> {
    await this.sql.query(
      `INSERT INTO bazaar_material_views (id, context_id, uid, user_id, role, outcome, viewed_at) VALUES (${this.sql.marks(7)})`,
      [row.id, row.contextId, row.uid, row.userId, row.role, row.outcome, row.viewedAt.toISOString()],
    );
  }
}
