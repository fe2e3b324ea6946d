import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

import { EventDeliverySigner } from './event-delivery.signer';

describe('EventDeliverySigner', () => {
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  const other = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  const body = '{"type":"registration.completed","timestamp":"2026-11-28T08:00:00.000Z","data":{"a":1}}';

  it('signs v1,<base64 HMAC-SHA256 of id.timestamp.body> and the standard verifier accepts it', () => {
    const at = new Date();
    const headers = new EventDeliverySigner().sign([secret], 'evt_1', at, body);
    const seconds = Math.floor(at.getTime() / 1000);
    const expected = createHmac('sha256', Buffer.alloc(32, 7)).update(`evt_1.${seconds}.${body}`).digest('base64');
    expect(headers).toEqual({
      'webhook-id': 'evt_1',
      'webhook-signature': `v1,${expected}`,
      'webhook-timestamp': String(seconds),
    });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('signs with every secret of a rotation, so a receiver holding either one verifies', () => {
    const headers = new EventDeliverySigner().sign([other, secret], 'evt_2', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(secret).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(other).verify(body, { ...headers })).not.toThrow();
    const stranger = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    expect(() => new Webhook(stranger).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });
});
