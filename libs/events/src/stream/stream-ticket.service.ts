import { AuthFailureLimiter, Caller } from '@app/auth';
import { UnauthenticatedError, authRateLimited } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';

import { StreamTicketRepository } from '../repositories/stream-ticket.repository';

const TICKET = /^stk_[A-Za-z0-9_-]{43}$/;
/** Expired tickets are swept at most this often, by whichever instance issues one. */
const SWEEP_EVERY_MS = 60_000;

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/** Whom a stream is for, and until when (epoch ms: the expiry of the token that authenticated it; none for keys). */
export interface StreamGrant {
  caller: Caller;
  until?: number;
}

/**
 * Single-use, short-lived tickets that stand for a caller on `GET /api/v1/events/stream?ticket=`: a browser's
 * EventSource cannot send an Authorization header, and a JWT in a URL ends up in logs and histories. Only a hash is
 * stored; redeeming deletes it, so a ticket opens one stream on whichever instance sees it first, and never another.
 */
@Injectable()
export class StreamTicketService {
  private lastSweep = 0;

  constructor(
    private readonly tickets: StreamTicketRepository,
    private readonly limiter: AuthFailureLimiter,
    private readonly config: AppConfigService,
  ) {}

  async issue(grant: StreamGrant): Promise<{ ticket: string; expiresInSeconds: number }> {
    const ttl = this.config.eventStream.ticketTtlSeconds;
    const ticket = `stk_${randomBytes(32).toString('base64url')}`;
    await this.tickets.issue(hashOf(ticket), JSON.stringify(grant), ttl * 1000);
    if (Date.now() - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = Date.now();
      await this.tickets.deleteExpired();
    }
    return { expiresInSeconds: ttl, ticket };
  }

  /** What a ticket stands for; a 401 (counted as an auth failure of `address`) if it cannot be used. */
  async redeem(ticket: string, address: string): Promise<StreamGrant> {
    const found = TICKET.test(ticket) ? await this.tickets.redeem(hashOf(ticket)) : undefined;
    const grant = found && !found.expired ? (JSON.parse(found.caller) as StreamGrant) : undefined;
    if (grant && (grant.until === undefined || grant.until > Date.now())) return grant;
    const retryAfter = await this.limiter.recordFailure(address);
    if (retryAfter) throw authRateLimited(retryAfter);
    if (found) {
      const why = grant ? 'the token it was issued for has expired' : 'it has expired';
      throw new UnauthenticatedError(
        'STREAM_TICKET_EXPIRED',
        `The stream ticket cannot be used: ${why}; get a new one`,
      );
    }
    throw new UnauthenticatedError(
      'STREAM_TICKET_INVALID',
      'The stream ticket is unknown or was already used (each opens one stream); get a new one',
    );
  }
}
