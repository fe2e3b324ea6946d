import { Caller } from '@app/auth';
import { UnauthenticatedError } from '@app/common';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';

import { StreamGrant, StreamTicketService } from './stream-ticket.service';

/** The request as the stream route sees it: the caller, and until when its credential lasts. */
export type StreamRequest = Request & { caller?: Caller; streamUntil?: number };

/**
 * Redeems `?ticket=` on the stream route when the global AuthGuard let the request through without a bearer token
 * (`@AcceptsQueryCredential('ticket')`). A guard rather than the handler: an SSE response's headers go out as soon
 * as the handler's Observable exists, and only errors raised before that still get their own status.
 */
@Injectable()
export class StreamTicketGuard implements CanActivate {
  constructor(private readonly tickets: StreamTicketService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<StreamRequest>();
    if (req.caller) return true;
    const ticket = req.query.ticket;
    if (typeof ticket !== 'string') {
      throw new UnauthenticatedError('AUTH_MISSING', 'An Authorization: Bearer <token> header or ?ticket= is required');
    }
    const grant: StreamGrant = await this.tickets.redeem(ticket, req.ip ?? req.socket.remoteAddress ?? 'unknown');
    req.caller = grant.caller;
    req.streamUntil = grant.until;
    return true;
  }
}
