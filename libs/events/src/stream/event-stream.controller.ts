import { AcceptsQueryCredential } from '@app/auth';
import { ValidationFailedError } from '@app/common';
import { Controller, Get, Headers, HttpCode, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';

import { EVENT_POSITION, EventStreamQueryDto, StreamTicketDto } from '../dto/event-stream.dto';
import { EVENT_TYPES } from '../event.types';
import { EventStreamService } from './event-stream.service';
import { StreamRequest, StreamTicketGuard } from './stream-ticket.guard';
import { StreamTicketService } from './stream-ticket.service';

/**
 * When the bearer token of this request expires (epoch ms), read after the guard verified it; undefined for API keys.
 * A stream never outlives the token that opened it.
 */
function bearerExpiry(req: Request): number | undefined {
  const token = /^Bearer[ ]+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token || token.split('.').length !== 3) return undefined;
  const { exp } = decodeJwt(token);
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

const STREAM_DESCRIPTION =
  "Server-Sent Events: each message has `id` = the event's position (its seq), `event` = its type " +
  `(${EVENT_TYPES.join(', ')}) and \`data\` = its JSON payload {type, timestamp, data}, exactly as webhooks ` +
  'deliver it. The first message carries only the starting position as `id` and a `retry:` hint; a comment line ' +
  '(`: heartbeat`) comes every EVENT_STREAM_HEARTBEAT_MS (15 s). Resume with the Last-Event-ID header (sent by ' +
  'EventSource on reconnect) or ?last_event_id= on a first connect: the missed events are replayed in order from ' +
  'the stored outbox; with neither, the stream starts now. Filtered by the caller: a student sees their own ' +
  "registrations' events, a teacher their token's courses, admins and API keys everything. Browsers authenticate " +
  'with ?ticket= (POST /api/v1/events/stream-tickets), servers with Authorization: Bearer. At most ' +
  'EVENT_STREAM_MAX_PER_CALLER open streams per caller, on all instances together (429 STREAM_LIMIT).';

@ApiTags('events')
@ApiBearerAuth()
@Controller('api/v1/events')
export class EventStreamController {
  constructor(
    private readonly streams: EventStreamService,
    private readonly tickets: StreamTicketService,
  ) {}

  @Post('stream-tickets')
  @HttpCode(201)
  @ApiOperation({
    description:
      'A single-use ticket standing for the bearer of this request, valid EVENT_STREAM_TICKET_TTL_S (60 s), on any ' +
      'instance: open the stream with it from a browser (new EventSource(".../api/v1/events/stream?ticket=…")). ' +
      'Get a new one for every (re)connect; never put the token itself in a URL.',
    summary: 'Get a ticket to open the event stream from a browser',
  })
  @ApiCreatedResponse({ description: 'The ticket, and how long it stays valid', type: StreamTicketDto })
  async issueTicket(@Req() req: StreamRequest): Promise<StreamTicketDto> {
    const { ticket, expiresInSeconds } = await this.tickets.issue({ caller: req.caller!, until: bearerExpiry(req) });
    return { expires_in: expiresInSeconds, ticket };
  }

  /**
   * A plain response rather than Nest's @Sse(): @Sse() queues what the handler emits for a client that reads slowly
   * (up to 4 MB) and then drops it, with no way to hold the producer back, so a replay of a backlog to a client slower
   * than the database was cut again and again. Writing here, the next page waits until the client took the last.
   */
  @Get('stream')
  @AcceptsQueryCredential('ticket')
  @UseGuards(StreamTicketGuard)
  @ApiOperation({ description: STREAM_DESCRIPTION, summary: 'Live stream of the events the caller may see' })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    description: 'Resume after this event id (EventSource sends it on reconnect)',
    name: 'Last-Event-ID',
    required: false,
  })
  @ApiOkResponse({
    content: {
      'text/event-stream': {
        example:
          'id: 41\nretry: 3000\n\nid: 42\nevent: registration.completed\ndata: {"type":"registration.completed",…}\n\n',
        schema: { type: 'string' },
      },
    },
    description: 'The event stream (stays open)',
  })
  @ApiUnauthorizedResponse({
    description: 'AUTH_MISSING, TOKEN_*, STREAM_TICKET_INVALID (unknown or used), STREAM_TICKET_EXPIRED',
  })
  @ApiTooManyRequestsResponse({ description: 'STREAM_LIMIT (Retry-After), AUTH_RATE_LIMITED' })
  stream(
    @Req() req: StreamRequest,
    @Query() query: EventStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (lastEventId !== undefined && !EVENT_POSITION.test(lastEventId.trim())) {
      const message = 'Last-Event-ID must be an event id (a non-negative integer) (rule: matches)';
      throw new ValidationFailedError(message, { 'Last-Event-ID': [message] });
    }
    const after = lastEventId?.trim() ?? query.last_event_id;
    return this.streams.open({
      afterSeq: after === undefined ? undefined : Number(after),
      caller: req.caller!,
      request: req,
      response: res,
      until: req.streamUntil ?? bearerExpiry(req),
    });
  }
}
