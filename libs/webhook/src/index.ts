export * from './migrations';
export * from './postback-fast-path.middleware';
export * from './postback-reconciliation.job';
export type { TrustProxy } from './postback-request.mapper';
export * from './webhook.module';
