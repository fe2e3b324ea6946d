export * from './migration-helpers';
export * from './persistence.module';
export * from './sql';
export * from './timestamp.column';
