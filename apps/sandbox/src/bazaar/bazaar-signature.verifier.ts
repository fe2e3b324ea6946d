import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';

const HEADER = /^BAZAAR ([^\s:]+):([0-9a-fA-F]{64})$/;

/** The Bazaar spec's auth, verified as Bazaar would: HMAC-SHA256 over the raw body bytes, compared in constant time. */
@Injectable()
export class BazaarSignatureVerifier {
  constructor(@Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig) {}

  /** The client id, or undefined when the header is missing, malformed, unknown or wrong. */
  verify(header: string | undefined, rawBody: Buffer | undefined): string | undefined {
    const match = HEADER.exec(header?.trim() ?? '');
    if (!match) return undefined;
    const [, clientId, hash] = match;
    const secret = Object.hasOwn(this.config.bazaar.clients, clientId)
      ? this.config.bazaar.clients[clientId]
      : undefined;
    // An unknown client still costs one HMAC, so timing does not tell client ids apart.
    const expected = createHmac('sha256', secret ?? 'unknown-client')
      .update(rawBody ?? Buffer.alloc(0))
      .digest();
    const presented = Buffer.from(hash, 'hex');
    return timingSafeEqual(expected, presented) && secret !== undefined ? clientId : undefined;
  }
}
