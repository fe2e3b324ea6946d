export * from './bazaar-fast-path';
export * from './bazaar.module';
export { BazaarService } from './bazaar.service';
export * from './migrations';
