import { Injectable } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers of one delivery attempt. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs a delivery the Standard Webhooks way with the `standardwebhooks` package: `v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>` under each secret given (during a rotation's overlap, the new one and the old one, space
 * separated: a receiver holding either verifies).
 */
@Injectable()
export class EventDeliverySigner {
  private readonly webhooks = new Map<string, Webhook>();

  sign(secrets: string[], id: string, at: Date, body: string): SignedHeaders {
    const signatures = secrets.map((secret) => this.webhook(secret).sign(id, at, body));
    return {
      'webhook-id': id,
      'webhook-signature': signatures.join(' '),
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    };
  }

  private webhook(secret: string): Webhook {
    let webhook = this.webhooks.get(secret);
    if (!webhook) {
      if (this.webhooks.size > 1000) this.webhooks.clear();
      this.webhooks.set(secret, (webhook = new Webhook(secret)));
    }
    return webhook;
  }
}
