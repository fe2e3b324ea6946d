import { LearnerErasures } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';

import { WebhookEventRepository } from './repositories/webhook-event.repository';

/** A learner data deletion takes the learner's stored postbacks with it: their raw bodies carry names and answers. */
@Injectable()
export class PostbackLearnerEraser implements OnModuleInit {
  constructor(
    private readonly erasures: LearnerErasures,
    private readonly events: WebhookEventRepository,
  ) {}

  onModuleInit(): void {
    this.erasures.register({
      erase: (manager, learner) => this.events.deleteForRegistrations(manager, learner.registrationIds),
      name: 'postbacks',
    });
  }
}
