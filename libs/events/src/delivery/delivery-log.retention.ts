import { AppConfigService } from '@app/config';
import { RetentionJob } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';

import { EventDeliveryRepository } from '../repositories/event-delivery.repository';

/** The delivery log (`event_delivery_attempts`, by `attempted_at`) expires after RETENTION_DELIVERY_DAYS. */
@Injectable()
export class DeliveryLogRetention implements OnModuleInit {
  constructor(
    private readonly config: AppConfigService,
    private readonly deliveries: EventDeliveryRepository,
    private readonly retention: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.retention.register({
      days: () => this.config.retention.deliveryDays,
      name: 'event_delivery_attempts',
      prune: async (manager, cutoff, limit) => ({
        pruned: await this.deliveries.pruneAttempts(manager, cutoff, limit),
      }),
    });
  }
}
