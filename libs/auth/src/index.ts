export { AuthFailureLimiter } from './auth-failure.limiter';
export * from './auth.decorators';
export * from './auth.module';
export * from './auth.openapi';
export * from './caller';
export * from './caller.policy';
export { AUTH_MIGRATIONS } from './migrations';
export { WebhookCredentialsVerifier } from './webhook-credentials.verifier';
