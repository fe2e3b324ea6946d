import { Clock, SystemClock } from '@app/common';
import { AppConfigService } from '@app/config';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CourseUploadService } from './courses/course-upload.service';
import { CoursesController } from './courses/courses.controller';
import { CoursesService } from './courses/courses.service';
import { RegistrationProgressEntity } from './entities/registration-progress.entity';
import { RegistrationEntity } from './entities/registration.entity';
import { RegistrationsController } from './registrations/registrations.controller';
import { RegistrationsService } from './registrations/registrations.service';
import { RegistrationProgressService } from './registrations/registration-progress.service';
import { RegistrationProgressRepository } from './repositories/registration-progress.repository';
import { RegistrationRepository } from './repositories/registration.repository';
import { SCORM_CLOUD_OPTIONS, ScormCloudModuleOptions } from './scorm-cloud.options';
import { PostbackTokenService } from './tokens/postback-token.service';
import { ScormKeyStore } from './tokens/scorm-key.store';
import { ScormTokenController } from './tokens/scorm-token.controller';
import { ScormTokenService } from './tokens/scorm-token.service';
import { ScormCloudV1Client } from './transport/scorm-cloud-v1.client';
import { ScormCloudV1Signer } from './transport/scorm-cloud-v1.signer';
import { ScormCloudV2Client } from './transport/scorm-cloud-v2.client';
import { SCORM_CLOUD_TRANSPORT, ScormCloudTransport } from './transport/scorm-cloud.transport';

/**
 * SCORM Cloud: courses, registrations, launch, progress projection and RS256 tokens (v2 or v1 transport). The
 * library that receives the postbacks imports it once with the path they arrive on.
 */
@Module({})
export class ScormCloudModule {
  static forRoot(options: ScormCloudModuleOptions): DynamicModule {
    return {
      controllers: [CoursesController, RegistrationsController, ScormTokenController],
      exports: [PostbackTokenService, RegistrationProgressService, RegistrationsService, ScormTokenService],
      imports: [TypeOrmModule.forFeature([RegistrationEntity, RegistrationProgressEntity])],
      module: ScormCloudModule,
      providers: [
        CoursesService,
        CourseUploadService,
        PostbackTokenService,
        RegistrationProgressRepository,
        RegistrationProgressService,
        RegistrationRepository,
        RegistrationsService,
        ScormCloudV1Signer,
        ScormKeyStore,
        ScormTokenService,
        { provide: Clock, useClass: SystemClock },
        { provide: SCORM_CLOUD_OPTIONS, useValue: options },
        {
          inject: [AppConfigService, ScormCloudV1Signer],
          provide: SCORM_CLOUD_TRANSPORT,
          // SCORM_CLOUD_API picks the transport once; the REST API is the same on both.
          useFactory: (config: AppConfigService, signer: ScormCloudV1Signer): ScormCloudTransport =>
            config.scormCloud.api === 'v1' ? new ScormCloudV1Client(config, signer) : new ScormCloudV2Client(config),
        },
      ],
    };
  }
}
