import { DataSource } from 'typeorm';

/** The advisory lock key every instance takes around its migrations (any fixed 64-bit number; this one spells LMSGWMIG). */
const MIGRATION_LOCK_KEY = '5498444775224650055';

/**
 * Runs the pending migrations. On PostgreSQL several instances may start at once on an empty database: a session
 * advisory lock lets one migrate while the others wait, and those then find nothing left to do. (TypeORM's own
 * migrationsRun has no such lock: two instances both create the tables, and one fails.) SQLite has one process.
 */
export async function runMigrationsSerialised(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
