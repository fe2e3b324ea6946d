import { Controller, Get, Header, Headers, HttpCode, HttpException, Post, RawBodyRequest, Req } from '@nestjs/common';
import type { Request } from 'express';

import { LmsWebhookReceiver } from './lms-webhook.receiver';

/**
 * The demo LMS's back end: `POST /lms/webhooks` is the endpoint the gateway's subscription delivers to; the demo page
 * reads what was verified from `GET /lms/webhooks/received` (the sandbox's own data, not the gateway's).
 */
@Controller('lms/webhooks')
export class LmsWebhookController {
  constructor(private readonly receiver: LmsWebhookReceiver) {}

  @Post()
  @HttpCode(204)
  receive(
    @Req() req: RawBodyRequest<Request>,
    @Headers() headers: Record<string, string | string[] | undefined>,
  ): void {
    // The signature is over the exact bytes sent, never over a re-serialised body.
    const outcome = this.receiver.receive(req.rawBody?.toString('utf8') ?? '', headers);
    if (outcome.status === 'rejected')
      throw new HttpException({ error: 'invalid_signature', message: outcome.reason }, 401);
  }

  @Get('received')
  @Header('Cache-Control', 'no-store')
  list() {
    return this.receiver.list();
  }
}
