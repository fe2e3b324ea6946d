import { Clock, SystemClock } from '@app/common';
import { AppConfigService } from '@app/config';
import { EventsModule } from '@app/events';
import { CoordinationModule } from '@app/persistence';
import { HttpModule } from '@nestjs/axios';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CourseImportWatcher } from './courses/course-import.watcher';
import { CourseUploadService } from './courses/course-upload.service';
import { CoursesController } from './courses/courses.controller';
import { CoursesService } from './courses/courses.service';
import { CourseImportEntity } from './entities/course-import.entity';
import { LearnerDeletionEntity } from './entities/learner-deletion.entity';
import { RegistrationProgressEntity } from './entities/registration-progress.entity';
import { RegistrationEntity } from './entities/registration.entity';
import { LearnerDeletionService } from './learners/learner-deletion.service';
import { LearnersController } from './learners/learners.controller';
import { RegistrationsController } from './registrations/registrations.controller';
import { RegistrationsService } from './registrations/registrations.service';
import { RegistrationProgressService } from './registrations/registration-progress.service';
import { CourseImportRepository } from './repositories/course-import.repository';
import { LearnerDeletionRepository } from './repositories/learner-deletion.repository';
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
      controllers: [CoursesController, LearnersController, RegistrationsController, ScormTokenController],
      exports: [PostbackTokenService, RegistrationProgressService, RegistrationsService, ScormTokenService],
      imports: [
        CoordinationModule,
        EventsModule,
        HttpModule,
        TypeOrmModule.forFeature([
          CourseImportEntity,
          LearnerDeletionEntity,
          RegistrationEntity,
          RegistrationProgressEntity,
        ]),
      ],
      module: ScormCloudModule,
      providers: [
        CourseImportRepository,
        CourseImportWatcher,
        CoursesService,
        LearnerDeletionRepository,
        LearnerDeletionService,
        CourseUploadService,
        PostbackTokenService,
        RegistrationProgressRepository,
        RegistrationProgressService,
        RegistrationRepository,
        RegistrationsService,
        ScormCloudV1Client,
        ScormCloudV1Signer,
        ScormCloudV2Client,
        ScormKeyStore,
        ScormTokenService,
        { provide: Clock, useClass: SystemClock },
        { provide: SCORM_CLOUD_OPTIONS, useValue: options },
        {
          // SCORM_CLOUD_API picks the transport once at start-up, an alias of one of the two clients above (a
          // static useExisting cannot branch on configuration that is validated only when the app boots).
          inject: [AppConfigService, ScormCloudV1Client, ScormCloudV2Client],
          provide: SCORM_CLOUD_TRANSPORT,
          useFactory: (
            config: AppConfigService,
            v1: ScormCloudV1Client,
            v2: ScormCloudV2Client,
          ): ScormCloudTransport => (config.scormCloud.api === 'v1' ? v1 : v2),
        },
      ],
    };
  }
}
