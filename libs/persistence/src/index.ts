export * from './migration-helpers';
export * from './persistence.module';
export * from './timestamp.column';
