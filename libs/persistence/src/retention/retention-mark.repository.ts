import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { Sql } from '../sql';

/** `retention_marks`: the last key each pruning target reached. */
@Injectable()
export class RetentionMarkRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async get(name: string): Promise<string | undefined> {
    const sql = new Sql(this.dataSource.manager);
    const rows = await sql.query<{ mark: string }[]>(`SELECT mark FROM retention_marks WHERE name = ${sql.mark(0)}`, [
      name,
    ]);
    return rows[0]?.mark;
  }

  /** In the pruning batch's own transaction, so the mark never runs ahead of what was pruned. */
  async set(manager: EntityManager, name: string, mark: string): Promise<void> {
    const sql = new Sql(manager);
    await sql.query(
      `INSERT INTO retention_marks (name, mark) VALUES (${sql.marks(2)}) ` +
        'ON CONFLICT (name) DO UPDATE SET mark = excluded.mark',
      [name, mark],
    );
  }

  /** SQLite: the file's auto_vacuum mode (0 none, 1 full, 2 incremental) and its free pages. */
  async sqliteSpace(): Promise<{ autoVacuum: number; freePages: number }> {
    const [mode] = (await this.dataSource.query('PRAGMA auto_vacuum')) as { auto_vacuum: number }[];
    const [free] = (await this.dataSource.query('PRAGMA freelist_count')) as { freelist_count: number }[];
    return { autoVacuum: Number(mode?.auto_vacuum ?? 0), freePages: Number(free?.freelist_count ?? 0) };
  }

  /** SQLite: gives up to `pages` free pages back to the file system (auto_vacuum=INCREMENTAL files only). */
  async sqliteIncrementalVacuum(pages: number): Promise<void> {
    await this.dataSource.query(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
  }
}
