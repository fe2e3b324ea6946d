import { CursorPageDto } from '@app/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import type { WebhookEventEntity } from '../entities/webhook-event.entity';
import { POSTBACK_SHAPES } from '../postback.types';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** A received postback as stored: the body with password and token fields already removed. */
export class WebhookEventDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.412Z' })
  received_at: string;

  @ApiProperty({ enum: POSTBACK_SHAPES })
  shape: string;

  @ApiProperty({ enum: ['GET', 'POST'] })
  method: string;

  @ApiPropertyOptional({ nullable: true, type: String, example: 'application/json' })
  content_type: string | null;

  @ApiProperty({ description: 'Body (or query string) as received, without password and token fields' })
  raw_body: string;

  @ApiProperty({ example: 'reg-123' })
  registration_id: string;

  @ApiProperty({ example: 0 })
  instance: number;

  @ApiPropertyOptional({ nullable: true, type: String, description: "The payload's own update time" })
  updated: string | null;

  @ApiProperty({ enum: ['COMPLETED', 'INCOMPLETE', 'UNKNOWN'] })
  completion: string;

  @ApiProperty({ enum: ['PASSED', 'FAILED', 'UNKNOWN'] })
  success: string;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Scaled 0-100' })
  score: number | null;

  @ApiPropertyOptional({ nullable: true, type: Number })
  total_seconds: number | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  first_access_date: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  last_access_date: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  completed_date: string | null;

  @ApiProperty({ enum: ['basic', 'form', 'query'], description: 'Where the webhook credentials came from' })
  auth_method: string;

  @ApiProperty({ description: 'The postback URL carried a valid per-registration token' })
  token_verified: boolean;

  @ApiProperty({
    enum: ['applied', 'stale', 'unknown_registration'],
    description: 'What the progress projection did with it (stale: older than what was stored)',
  })
  outcome: string;

  @ApiProperty({ description: 'The registration is not one the gateway created' })
  unknown_registration: boolean;

  static from(event: WebhookEventEntity): WebhookEventDto {
    return {
      auth_method: event.authMethod,
      completed_date: iso(event.completedAt),
      completion: event.completion,
      content_type: event.contentType,
      first_access_date: iso(event.firstAccessAt),
      id: event.id,
      instance: event.instance,
      last_access_date: iso(event.lastAccessAt),
      method: event.method,
      outcome: event.outcome,
      raw_body: event.rawBody,
      received_at: event.receivedAt.toISOString(),
      registration_id: event.registrationId,
      score: event.score,
      shape: event.shape,
      success: event.success,
      token_verified: Boolean(event.tokenVerified),
      total_seconds: event.totalSeconds,
      unknown_registration: Boolean(event.unknownRegistration),
      updated: iso(event.progressUpdatedAt),
    };
  }
}

export class WebhookEventPageDto extends CursorPageDto {
  @ApiProperty({ type: [WebhookEventDto], description: 'Newest first' })
  items: WebhookEventDto[];

  @ApiPropertyOptional({ deprecated: true, description: 'Only when the request paged by `offset`', example: 137 })
  total?: number;

  @ApiPropertyOptional({ deprecated: true, description: 'Only when the request paged by `offset`', example: 0 })
  offset?: number;
}
