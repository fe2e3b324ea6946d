import { Clock, SystemClock } from '@app/common';
import { AppConfigService } from '@app/config';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { RegistrationProgressEntity } from './registrations/registration-progress.entity';
import { RegistrationProgressService } from './registrations/registration-progress.service';
import { RegistrationEntity } from './registrations/registration.entity';
import { ScormCloudService } from './scorm-cloud.service';
import { PostbackTokenService } from './tokens/postback-token.service';
import { ScormKeyStore } from './tokens/scorm-key.store';
import { ScormTokenController } from './tokens/scorm-token.controller';
import { ScormTokenService } from './tokens/scorm-token.service';
import { ScormCloudV2Client } from './transport/scorm-cloud-v2.client';
import { SCORM_CLOUD_TRANSPORT, ScormCloudTransport } from './transport/scorm-cloud.transport';

/** SCORM Cloud: courses, registrations, launch, progress projection and RS256 tokens (v2 or v1 transport). */
@Module({
  controllers: [ScormTokenController],
  exports: [PostbackTokenService, RegistrationProgressService, ScormCloudService, ScormTokenService],
  imports: [TypeOrmModule.forFeature([RegistrationEntity, RegistrationProgressEntity])],
  providers: [
    PostbackTokenService,
    RegistrationProgressService,
    ScormCloudService,
    ScormCloudV2Client,
    ScormKeyStore,
    ScormTokenService,
    { provide: Clock, useClass: SystemClock },
    {
      inject: [AppConfigService, ScormCloudV2Client],
      provide: SCORM_CLOUD_TRANSPORT,
      useFactory: (_config: AppConfigService, v2: ScormCloudV2Client): ScormCloudTransport => v2,
    },
  ],
})
export class ScormCloudModule {}
