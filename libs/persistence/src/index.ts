export * from './coordination.module';
export { JobLeases } from './leases/job-leases.service';
export type { HeldLease, PeriodicJob } from './leases/job-leases.service';
export * from './migration-helpers';
export { DatabaseNotifications } from './notifications/database-notifications';
export * from './persistence.module';
export * from './sql';
export { DatabaseInUseError } from './sqlite-process.lock';
export * from './timestamp.column';
