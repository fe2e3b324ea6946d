import { AuthModule } from '@app/auth';
import { BAZAAR_MIGRATIONS, BazaarModule } from '@app/bazaar';
import { AllExceptionsFilter, LoggingModule, createValidationPipe } from '@app/common';
import { AppConfigModule, AppConfigOptions } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { SCORM_CLOUD_MIGRATIONS, ScormCloudModule } from '@app/scorm-cloud';
import { WEBHOOK_MIGRATIONS, WebhookModule } from '@app/webhook';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';

import { HealthController } from './health/health.controller';

@Module({})
export class AppModule {
  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    return {
      controllers: [HealthController],
      imports: [
        AppConfigModule.forRoot(options),
        AuthModule,
        BazaarModule,
        LoggingModule,
        PersistenceModule.forRoot({
          migrations: [...BAZAAR_MIGRATIONS, ...SCORM_CLOUD_MIGRATIONS, ...WEBHOOK_MIGRATIONS],
        }),
        ScormCloudModule,
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
        WebhookModule,
      ],
      module: AppModule,
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
