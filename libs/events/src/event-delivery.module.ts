import { Clock, SystemClock } from '@app/common';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { EventDeliverySigner } from './delivery/event-delivery.signer';
import { EventDeliveryWorker } from './delivery/event-delivery.worker';
import { LmsEndpointClient } from './delivery/lms-endpoint.client';
import { EventDeliveryAttemptEntity } from './entities/event-delivery-attempt.entity';
import { EventDeliveryEntity } from './entities/event-delivery.entity';
import { EventSubscriptionEntity } from './entities/event-subscription.entity';
import { EventsModule } from './events.module';
import { EventDeliveryRepository } from './repositories/event-delivery.repository';
import { EventSubscriptionRepository } from './repositories/event-subscription.repository';
import { EventSubscriptionsController } from './subscriptions/event-subscriptions.controller';
import { EventSubscriptionsService } from './subscriptions/event-subscriptions.service';
import { SubscriptionSecretCipher } from './subscriptions/subscription-secret.cipher';

/** Signed delivery of outbox events to LMS endpoints (Standard Webhooks): subscriptions, the worker, the log. */
@Module({
  controllers: [EventSubscriptionsController],
  exports: [EventDeliveryWorker],
  imports: [
    EventsModule,
    TypeOrmModule.forFeature([EventDeliveryAttemptEntity, EventDeliveryEntity, EventSubscriptionEntity]),
  ],
  providers: [
    EventDeliveryRepository,
    EventDeliverySigner,
    EventDeliveryWorker,
    EventSubscriptionRepository,
    EventSubscriptionsService,
    LmsEndpointClient,
    SubscriptionSecretCipher,
    { provide: Clock, useClass: SystemClock },
  ],
})
export class EventDeliveryModule {}
