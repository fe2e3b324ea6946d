import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';

import { ApiKeyRegistry } from './api-key.registry';
import { AuthFailureLimiter } from './auth-failure.limiter';
import { AuthGuard } from './auth.guard';
import { LmsJwtVerifier } from './lms-jwt.verifier';
import { MeController } from './me.controller';
import { WebhookCredentialsVerifier } from './webhook-credentials.verifier';

/** Who may call the gateway. Importing it once (in the app module) guards every route. */
@Module({
  controllers: [MeController],
  exports: [ApiKeyRegistry, AuthFailureLimiter, LmsJwtVerifier, WebhookCredentialsVerifier],
  imports: [ThrottlerModule.forRoot([{ limit: 20, name: 'auth-failures', ttl: 60_000 }])],
  providers: [
    ApiKeyRegistry,
    AuthFailureLimiter,
    LmsJwtVerifier,
    WebhookCredentialsVerifier,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class AuthModule {}
