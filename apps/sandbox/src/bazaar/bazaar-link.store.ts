import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';
import { BazaarArguments } from './bazaar-arguments.validator';

export interface BazaarLink {
  kind: 'browse' | 'view';
  args: BazaarArguments;
  clientId: string;
  expiresAt: number;
}

/** A bound on memory under load; the oldest links go first. */
const MAX_LINKS = 100_000;

/** Bazaar's one-time URLs (the Bazaar spec: they stop working 60 s after creation), kept in memory. */
@Injectable()
export class BazaarLinkStore {
  private readonly links = new Map<string, BazaarLink>();

  constructor(@Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig) {}

  create(kind: BazaarLink['kind'], clientId: string, args: BazaarArguments): string {
    const now = Date.now();
    // Every link lives the same TTL and a Map iterates in insertion order, so the expired ones come first.
    for (const [token, link] of this.links) {
      if (link.expiresAt > now && this.links.size < MAX_LINKS) break;
      this.links.delete(token);
    }
    const token = randomBytes(32).toString('hex');
    this.links.set(token, { args, clientId, expiresAt: now + this.config.bazaar.urlTtlMs, kind });
    return token;
  }

  /** The link once: a second use, an expired link or another kind gives undefined. */
  take(kind: BazaarLink['kind'], token: string): BazaarLink | undefined {
    const link = this.links.get(token);
    if (!link || link.kind !== kind) return undefined;
    this.links.delete(token);
    return link.expiresAt > Date.now() ? link : undefined;
  }
}
