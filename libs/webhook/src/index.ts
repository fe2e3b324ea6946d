export * from './migrations';
export * from './postback-fast-path.middleware';
export * from './postback-reconciliation.job';
export * from './webhook-receiver.service';
export * from './webhook.module';
