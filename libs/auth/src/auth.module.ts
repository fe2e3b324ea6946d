import { ContentTypeGuard } from '@app/common';
import { AppConfigService } from '@app/config';
import { CoordinationModule, DatabaseNotifications, JobLeases } from '@app/persistence';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, ThrottlerStorageService, getStorageToken } from '@nestjs/throttler';

import { ApiKeyRegistry } from './api-key.registry';
import { AuthFailureLimiter } from './auth-failure.limiter';
import { AuthGuard } from './auth.guard';
import { AUTH_FAILURE_STORE, AuthFailureStore } from './failures/auth-failure.store';
import { MemoryAuthFailureStore } from './failures/memory-auth-failure.store';
import { PostgresAuthFailureStore } from './failures/postgres-auth-failure.store';
import { RedisAuthFailureStore } from './failures/redis-auth-failure.store';
import { LmsJwtVerifier } from './lms-jwt.verifier';
import { MeController } from './me.controller';
import { AuthFailureRepository } from './repositories/auth-failure.repository';
import { WebhookCredentialsVerifier } from './webhook-credentials.verifier';

/**
 * Where auth failures are counted: Redis when REDIS_URL is set (no database traffic for it at all), else PostgreSQL
 * (shared by every instance with nothing more to run), else this process (SQLite has one).
 */
function authFailureStore(
  config: AppConfigService,
  storage: ThrottlerStorageService,
  failures: AuthFailureRepository,
  notifications: DatabaseNotifications,
  leases: JobLeases,
): AuthFailureStore {
  if (config.instances.redisUrl) return new RedisAuthFailureStore(config.instances.redisUrl);
  if (config.database.type === 'postgres') return new PostgresAuthFailureStore(failures, notifications, leases);
  return new MemoryAuthFailureStore(storage);
}

/** Who may call the gateway. Importing it once (in the app module) guards every route. */
@Module({
  controllers: [MeController],
  exports: [ApiKeyRegistry, AuthFailureLimiter, LmsJwtVerifier, WebhookCredentialsVerifier],
  imports: [CoordinationModule, ThrottlerModule.forRoot([{ limit: 20, name: 'auth-failures', ttl: 60_000 }])],
  providers: [
    ApiKeyRegistry,
    AuthFailureLimiter,
    AuthFailureRepository,
    LmsJwtVerifier,
    WebhookCredentialsVerifier,
    { provide: APP_GUARD, useClass: AuthGuard },
    // Global guards run in the order registered: a body's media type is checked only for an authenticated caller.
    { provide: APP_GUARD, useClass: ContentTypeGuard },
    {
      inject: [AppConfigService, getStorageToken(), AuthFailureRepository, DatabaseNotifications, JobLeases],
      provide: AUTH_FAILURE_STORE,
      useFactory: authFailureStore,
    },
  ],
})
export class AuthModule {}
