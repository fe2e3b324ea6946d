export * from './webhook.module';
export * from './migrations';
