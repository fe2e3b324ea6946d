import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  kind: 'sqlite' | 'postgres';
  drop(): Promise<void>;
}

/** Where scratch PostgreSQL databases are created from (the machine's server, trust auth). */
export const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function testDatabaseKind(): 'sqlite' | 'postgres' {
  return process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
}

/** A fresh, empty database for one test file: a temp SQLite file, or a scratch PostgreSQL database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind() === 'postgres') return createPostgresDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  return {
    drop: async () => rmSync(dir, { force: true, recursive: true }),
    kind: 'sqlite',
    url: `sqlite:${join(dir, 'gateway.sqlite')}`,
  };
}

/** A scratch PostgreSQL database on `adminUrl` whatever TEST_DATABASE says (suites about several instances). */
export async function createPostgresDatabase(adminUrl = PG_ADMIN_URL): Promise<TestDatabase> {
  const name = `gw_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`), adminUrl);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    drop: () =>
      withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), adminUrl).then(
        () => undefined,
      ),
    kind: 'postgres',
    url: url.toString(),
  };
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>, adminUrl = PG_ADMIN_URL): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
