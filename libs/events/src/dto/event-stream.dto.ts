import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Outbox positions as the stream's ids: non-negative integers in decimal. */
export const EVENT_POSITION = /^\d{1,15}$/;

export class EventStreamQueryDto {
  @ApiPropertyOptional({
    description:
      'A single-use stream ticket from POST /api/v1/events/stream-tickets, for browsers (EventSource cannot send an ' +
      'Authorization header). Without it, send Authorization: Bearer.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  ticket?: string;

  @ApiPropertyOptional({
    description:
      'Resume after this event id on the first connect (a reconnecting EventSource sends the Last-Event-ID header ' +
      'instead, which wins). Neither: only events from now on.',
    example: '42',
  })
  @IsOptional()
  @Matches(EVENT_POSITION, { message: 'last_event_id must be an event id (a non-negative integer)' })
  last_event_id?: string;
}

export class StreamTicketDto {
  @ApiProperty({ description: 'Use once, as ?ticket= on GET /api/v1/events/stream', example: 'stk_…' })
  ticket: string;

  @ApiProperty({ description: 'Seconds until the ticket can no longer open a stream', example: 60 })
  expires_in: number;
}
