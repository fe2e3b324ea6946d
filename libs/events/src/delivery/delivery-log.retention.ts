import { AppConfigService } from '@app/config';
import { LearnerErasures, RetentionJob } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';

import { EventDeliveryRepository } from '../repositories/event-delivery.repository';
import { EventRepository } from '../repositories/event.repository';

/**
 * After RETENTION_DELIVERY_DAYS the delivery log (`event_delivery_attempts`, by `attempted_at`), finished deliveries
 * (by `completed_at`) and the outbox's events (by `occurred_at`) go; a learner data deletion takes the learner's
 * events, deliveries and log with it.
 */
@Injectable()
export class DeliveryLogRetention implements OnModuleInit {
  constructor(
    private readonly config: AppConfigService,
    private readonly deliveries: EventDeliveryRepository,
    private readonly events: EventRepository,
    private readonly retention: RetentionJob,
    private readonly erasures: LearnerErasures,
  ) {}

  onModuleInit(): void {
    this.retention.register({
      days: () => this.config.retention.deliveryDays,
      name: 'event_delivery_attempts',
      prune: async (manager, cutoff, limit) => ({
        pruned: await this.deliveries.pruneAttempts(manager, cutoff, limit),
      }),
    });
    this.retention.register({
      days: () => this.config.retention.deliveryDays,
      name: 'event_deliveries',
      prune: async (manager, cutoff, limit) => ({
        pruned: await this.deliveries.pruneFinished(manager, cutoff, limit),
      }),
    });
    this.retention.register({
      days: () => this.config.retention.deliveryDays,
      name: 'events',
      prune: async (manager, cutoff, limit) => ({ pruned: await this.events.pruneBefore(manager, cutoff, limit) }),
    });
    this.erasures.register({
      erase: (manager, learner) => this.events.eraseLearner(manager, learner.learnerId),
      name: 'events',
    });
  }
}
