import { AppConfigService } from '@app/config';
import { RetentionJob } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';

import { WebhookEventRepository } from './repositories/webhook-event.repository';

/**
 * Raw postback bodies expire after RETENTION_POSTBACK_BODY_DAYS: the body is the bulk of a stored postback and the
 * part with personal data, while the parsed fields are what the LMS's records and the dedup key need.
 */
@Injectable()
export class PostbackBodyRetention implements OnModuleInit {
  constructor(
    private readonly config: AppConfigService,
    private readonly events: WebhookEventRepository,
    private readonly retention: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.retention.register({
      days: () => this.config.retention.postbackBodyDays,
      name: 'webhook_events.raw_body',
      prune: async (manager, cutoff, limit, mark) => {
        const { walked, last } = await this.events.pruneBodies(manager, cutoff, limit, mark);
        return { mark: last, pruned: walked };
      },
    });
  }
}
