import Database from 'better-sqlite3';

/** Start-up stops with this when another gateway process already uses the SQLite file. */
export class DatabaseInUseError extends Error {
  constructor(path: string) {
    super(
      `Another gateway process is already using the SQLite database at DATABASE_URL=sqlite:${path}. ` +
        'A SQLite file serves one process; to run several instances (WEB_CONCURRENCY, docker compose --scale) ' +
        'use PostgreSQL: DATABASE_URL=postgres://user:password@host:5432/database',
    );
    this.name = 'DatabaseInUseError';
  }
}

/**
 * One gateway process per SQLite file. The lock is an exclusive SQLite lock on a sidecar file `<database>.lock`,
 * held in a transaction that never ends: the operating system drops it when the process ends in any way (kill -9
 * included), so it never outlives its holder, and a second process finds it busy at once.
 */
export class SqliteProcessLock {
  private constructor(private readonly db: Database.Database) {}

  static acquire(path: string): SqliteProcessLock {
    const db = new Database(`${path}.lock`);
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new DatabaseInUseError(path);
      throw error;
    }
    return new SqliteProcessLock(db);
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}
