export * from './api-key.registry';
export * from './auth.decorators';
export * from './auth.module';
export * from './caller';
export * from './caller.policy';
export * from './constant-time';
export * from './lms-jwt.verifier';
export * from './webhook-credentials.verifier';
