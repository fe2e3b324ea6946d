import { AuthModule } from '@app/auth';
import { Clock, SystemClock } from '@app/common';
import { CoordinationModule } from '@app/persistence';
import { ScormCloudModule } from '@app/scorm-cloud';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';

import { PostbackBatchWriter } from './postback-batch.writer';
import { PostbackBodyRetention } from './postback-body.retention';
import { PostbackLearnerEraser } from './postback-learner.eraser';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { PostbackFastPathMiddleware } from './postback-fast-path.middleware';
import { PostbackParser } from './postback.parser';
import { PostbackReconciliationJob } from './postback-reconciliation.job';
import { POSTBACK_PATH } from './postback.routes';
import { WebhookEventRepository } from './repositories/webhook-event.repository';
import { ScormCloudWebhookController } from './scorm-cloud-webhook.controller';
import { WebhookEventsController } from './webhook-events.controller';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookReceiverService } from './webhook-receiver.service';

/** SCORM Cloud's results postbacks: receiver, event store, and the job that re-checks them against the API. */
@Module({
  controllers: [ScormCloudWebhookController, WebhookEventsController],
  exports: [PostbackFastPathMiddleware, PostbackReconciliationJob, WebhookReceiverService],
  imports: [
    AuthModule,
    CoordinationModule,
    ScheduleModule.forRoot(),
    ScormCloudModule.forRoot({ postbackPath: POSTBACK_PATH }),
    TypeOrmModule.forFeature([WebhookEventEntity]),
  ],
  providers: [
    PostbackBatchWriter,
    PostbackBodyRetention,
    PostbackLearnerEraser,
    PostbackFastPathMiddleware,
    PostbackParser,
    PostbackReconciliationJob,
    WebhookEventRepository,
    WebhookEventsService,
    WebhookReceiverService,
    { provide: Clock, useClass: SystemClock },
  ],
})
export class WebhookModule {}
