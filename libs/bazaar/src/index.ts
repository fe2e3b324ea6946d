export * from './bazaar.module';
export * from './migrations';
