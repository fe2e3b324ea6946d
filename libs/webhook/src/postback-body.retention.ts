import { AppConfigService } from '@app/config';
import { RetentionJob } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';

import { WebhookEventRepository } from './repositories/webhook-event.repository';

/**
 * Stored postbacks expire in two steps. Their raw bodies after RETENTION_POSTBACK_BODY_DAYS: the body is the part
 * with personal data (names, answers), while the parsed fields are what the LMS's records and the dedup key need.
 * The rows themselves after RETENTION_POSTBACK_DAYS, which is what gives SQLite pages back (an emptied body leaves
 * its page partly used, and new rows only ever go at the end).
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
      days: () => this.config.retention.postbackDays,
      name: 'webhook_events',
      prune: async (manager, cutoff, limit) => ({ pruned: await this.events.deleteOlderThan(manager, cutoff, limit) }),
    });
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
