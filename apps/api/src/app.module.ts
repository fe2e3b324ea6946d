import { AUTH_MIGRATIONS, AuthModule } from '@app/auth';
import { BAZAAR_MIGRATIONS, BazaarModule } from '@app/bazaar';
import {
  AllExceptionsFilter,
  LoggingModule,
  MetricsModule,
  TunnelModule,
  TunnelProvider,
  createValidationPipe,
} from '@app/common';
import { AppConfigModule, AppConfigOptions } from '@app/config';
import { EVENTS_MIGRATIONS, EventDeliveryModule } from '@app/events';
import { PersistenceModule } from '@app/persistence';
import { SCORM_CLOUD_MIGRATIONS } from '@app/scorm-cloud';
import { WEBHOOK_MIGRATIONS, WebhookModule } from '@app/webhook';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';

import { HealthController } from './health/health.controller';
import { TraceFlushService } from './tracing/trace-flush.service';

export interface AppModuleOptions extends AppConfigOptions {
  /** Replaces the ngrok tunnel provider (tests use a fake; there is no network). */
  tunnelProvider?: TunnelProvider;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    return {
      controllers: [HealthController],
      imports: [
        AppConfigModule.forRoot(options),
        AuthModule,
        BazaarModule,
        EventDeliveryModule,
        LoggingModule,
        MetricsModule,
        PersistenceModule.forRoot({
          migrations: [
            ...AUTH_MIGRATIONS,
            ...BAZAAR_MIGRATIONS,
            ...EVENTS_MIGRATIONS,
            ...SCORM_CLOUD_MIGRATIONS,
            ...WEBHOOK_MIGRATIONS,
          ],
        }),
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
        TunnelModule.forRoot(options.tunnelProvider),
        WebhookModule,
      ],
      module: AppModule,
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        TraceFlushService,
      ],
    };
  }
}
