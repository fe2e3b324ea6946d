import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Subscription secrets at rest: AES-256-GCM under a key derived from configuration (EVENT_SECRETS_KEY, else
 * LMS_JWT_SECRET), never from the database, so a copy of the database alone does not let anyone sign events. The
 * gateway must sign with the plain secret, so it cannot keep only a hash.
 */
@Injectable()
export class SubscriptionSecretCipher {
  private readonly key: Buffer;

  constructor(config: AppConfigService) {
    this.key = Buffer.from(
      hkdfSync('sha256', config.eventDelivery.secretsKey, 'lms-gateway', 'event subscription secrets v1', 32),
    );
  }

  encrypt(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(stored: string): string {
    const [version, iv, tag, data] = stored.split(':');
    if (version !== VERSION || !data) throw new Error('Unreadable subscription secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** A fresh Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
