import { Module } from '@nestjs/common';

import { LmsWebhookController } from './lms-webhook.controller';
import { LmsWebhookReceiver } from './lms-webhook.receiver';

/** The demo LMS's back end: receives and verifies the gateway's signed event deliveries. */
@Module({ controllers: [LmsWebhookController], providers: [LmsWebhookReceiver] })
export class LmsBackendModule {}
