import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';

/** A request body serialised once: the bytes that are signed are the bytes that are sent. */
export interface SignedBazaarRequest {
  body: Buffer;
  authentication: string;
}

/**
 * Bazaar's header-based auth (the Bazaar spec "Authentication"): `Authentication: BAZAAR <client_id>:<hex
 * HMAC-SHA256(secret, exact body bytes)>`. The header is named Authentication, not Authorization.
 */
@Injectable()
export class BazaarRequestSigner {
  constructor(private readonly config: AppConfigService) {}

  /** The header value for these exact bytes. */
  authenticationFor(body: Buffer, credentials = this.config.bazaar): string {
    const hash = createHmac('sha256', Buffer.from(credentials.secretKey, 'utf8')).update(body).digest('hex');
    return `BAZAAR ${credentials.clientId}:${hash}`;
  }

  sign(payload: object): SignedBazaarRequest {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    return { authentication: this.authenticationFor(body), body };
  }
}
