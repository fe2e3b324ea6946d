import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { Client } from 'pg';

import type { TestDatabase } from './test-database';

export type RowCounts = Record<string, number>;

/**
 * Reads a test database from outside the gateway (a second connection), so suites can snapshot row counts,
 * look for rows and run the integrity check without going through the code under test.
 */
export interface DatabaseInspector {
  tables(): Promise<string[]>;
  rowCounts(): Promise<RowCounts>;
  /** A hash of every row per table: catches updates that leave the counts alone. */
  fingerprint(): Promise<Record<string, string>>;
  /** `$1`-style placeholders on both databases; a statement that returns no rows answers []. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** SQLite: PRAGMA integrity_check + foreign_key_check; PostgreSQL: every constraint re-validated. */
  integrityProblems(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Tables the gateway may write on its own (migrations bookkeeping, job leases, the shared auth-failure count, open
 * event streams' leases), left out of "nothing stored" checks.
 */
const BOOKKEEPING = new Set([
  'auth_failures',
  'job_leases',
  'migrations',
  'retention_marks',
  'sqlite_sequence',
  'stream_leases',
  'typeorm_metadata',
]);

export async function inspectDatabase(
  database: TestDatabase | { kind: string; url: string },
): Promise<DatabaseInspector> {
  return database.kind === 'postgres' ? inspectPostgres(database.url) : inspectSqlite(database.url);
}

function inspectSqlite(url: string): DatabaseInspector {
  const db = new Database(url.slice('sqlite:'.length), { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const tables = () =>
    (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
        name: string;
      }[]
    )
      .map((row) => row.name)
      .filter((name) => !BOOKKEEPING.has(name))
      .sort();
  return {
    close: async () => void db.close(),
    integrityProblems: async () => {
      const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
        (row) => row.integrity_check,
      );
      const foreignKeys = (db.pragma('foreign_key_check') as Record<string, unknown>[]).map((row) =>
        JSON.stringify(row),
      );
      return [...integrity.filter((line) => line !== 'ok'), ...foreignKeys];
    },
    fingerprint: async () => {
      const hashes: Record<string, string> = {};
      for (const table of tables()) {
        const rows = db
          .prepare(`SELECT * FROM "${table}"`)
          .all()
          .map((row) => JSON.stringify(row));
        hashes[table] = createHash('sha256').update(rows.sort().join('\n')).digest('hex');
      }
      return hashes;
    },
    query: async <T>(sql: string, params: unknown[] = []) => {
      // PostgreSQL's $n placeholders become SQLite's ?, the parameters following them, so one text serves both.
      const bound: unknown[] = [];
      const statement = db.prepare(sql.replace(/\$(\d+)/g, (_, n: string) => (bound.push(params[Number(n) - 1]), '?')));
      if (!/\$\d/.test(sql)) bound.push(...params);
      if (statement.reader) return statement.all(...bound) as T[];
      statement.run(...bound);
      return [] as T[];
    },
    rowCounts: async () => {
      const counts: RowCounts = {};
      for (const table of tables()) {
        counts[table] = (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
      }
      return counts;
    },
    tables: async () => tables(),
  };
}

async function inspectPostgres(url: string): Promise<DatabaseInspector> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const tables = async () =>
    (
      await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      )
    ).rows
      .map((row) => row.table_name)
      .filter((name) => !BOOKKEEPING.has(name))
      .sort();
  return {
    close: () => client.end(),
    integrityProblems: async () => {
      // Re-validating every constraint makes PostgreSQL re-check the stored rows against it.
      const problems: string[] = [];
      const { rows } = await client.query<{ table: string; name: string; type: string }>(
        `SELECT conrelid::regclass::text AS table, conname AS name, contype AS type FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace AND contype IN ('f', 'c')`,
      );
      for (const constraint of rows) {
        try {
          await client.query(`ALTER TABLE ${constraint.table} VALIDATE CONSTRAINT "${constraint.name}"`);
        } catch (error) {
          problems.push(`${constraint.table}.${constraint.name}: ${(error as Error).message}`);
        }
      }
      const { rows: indexes } = await client.query<{ index: string }>(
        `SELECT indexrelid::regclass::text AS index FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid`,
      );
      problems.push(...indexes.map((row) => `invalid index ${row.index}`));
      return problems;
    },
    fingerprint: async () => {
      const hashes: Record<string, string> = {};
      for (const table of await tables()) {
        const { rows } = await client.query(
          `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${table}" t`,
        );
        hashes[table] = rows[0].h;
      }
      return hashes;
    },
    query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    rowCounts: async () => {
      const counts: RowCounts = {};
      for (const table of await tables()) {
        counts[table] = Number((await client.query(`SELECT COUNT(*) AS n FROM "${table}"`)).rows[0].n);
      }
      return counts;
    },
    tables,
  };
}

/** Tables whose row count (or fingerprint) differs between two snapshots, as `table: before → after`. */
export function countChanges(
  before: Record<string, number | string>,
  after: Record<string, number | string>,
): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((name) => before[name] !== after[name])
    .map((name) => `${name}: ${before[name] ?? 0} → ${after[name] ?? 0}`);
}
