import { AppConfigService, DatabaseConfig } from '@app/config';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions, MixedList } from 'typeorm';

import { CoordinationModule } from './coordination.module';
import { DatabasePoolMetrics } from './database-pool.metrics';
import { runMigrationsSerialised } from './migration.runner';
import { PERSISTENCE_MIGRATIONS } from './migrations';
import { SqlitePragmas } from './sqlite-pragmas';
import { DatabaseInUseError, SqliteProcessLock } from './sqlite-process.lock';

export interface PersistenceOptions {
  /** Every feature library's migrations; they run in timestamp order at start-up, after the platform's own. */
  migrations: MixedList<Function>;
}

export function typeOrmOptions(database: DatabaseConfig, migrations: MixedList<Function>): TypeOrmModuleOptions {
  const common = {
    autoLoadEntities: true,
    migrations,
    // Run by PersistenceModule itself, serialised across instances (migration.runner.ts).
    migrationsRun: false,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    retryAttempts: 2,
    retryDelay: 500,
    synchronize: false,
  };
  if (database.type === 'postgres') {
    return {
      ...common,
      extra: { connectionTimeoutMillis: 5000, max: 10 },
      type: 'postgres',
      url: database.url,
    };
  }
  const sqlite = {
    ...common,
    database: database.path,
    prepareDatabase: (db: { pragma(source: string): unknown }) => SqlitePragmas.apply(db),
    type: 'better-sqlite3' as const,
  };
  if (database.path !== ':memory:') {
    try {
      mkdirSync(dirname(database.path), { recursive: true });
    } catch (error) {
      throw new DatabaseUnavailableError(sqlite, error);
    }
  }
  return sqlite;
}

/** Start-up stops with this when the database named by DATABASE_URL cannot be opened or migrated. */
export class DatabaseUnavailableError extends Error {
  constructor(options: DataSourceOptions, cause: unknown) {
    const where =
      options.type === 'postgres' ? redactPassword(String(options.url)) : `sqlite:${String(options.database)}`;
    super(
      `Cannot open the database at DATABASE_URL=${where}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'DatabaseUnavailableError';
  }
}

/** The one-process lock beside the SQLite file; a file that cannot be made there names DATABASE_URL. */
function acquireSqliteLock(settings: DataSourceOptions): SqliteProcessLock {
  try {
    return SqliteProcessLock.acquire(String(settings.database));
  } catch (error) {
    if (error instanceof DatabaseInUseError) throw error;
    throw new DatabaseUnavailableError(settings, error);
  }
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    return {
      imports: [
        TypeOrmModule.forRootAsync({
          dataSourceFactory: async (dataSourceOptions) => {
            const settings = dataSourceOptions as DataSourceOptions;
            // Before the file is opened: a second process must not even run its migrations against it.
            const lock =
              settings.type === 'better-sqlite3' && settings.database !== ':memory:'
                ? acquireSqliteLock(settings)
                : undefined;
            const dataSource = new DataSource(settings);
            try {
              await dataSource.initialize();
              await runMigrationsSerialised(dataSource);
            } catch (error) {
              if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
              lock?.release();
              throw new DatabaseUnavailableError(settings, error);
            }
            if (lock) {
              const destroy = dataSource.destroy.bind(dataSource);
              dataSource.destroy = () => destroy().finally(() => lock.release());
            }
            return dataSource;
          },
          inject: [AppConfigService],
          useFactory: (config: AppConfigService) =>
            typeOrmOptions(config.database, [...PERSISTENCE_MIGRATIONS, ...(options.migrations as Function[])]),
        }),
        CoordinationModule,
      ],
      module: PersistenceModule,
      providers: [DatabasePoolMetrics],
    };
  }
}
