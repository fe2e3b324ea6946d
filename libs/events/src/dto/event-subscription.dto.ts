import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsISO8601,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

import type { SubscriptionSource, SubscriptionStatus } from '../entities/event-subscription.entity';
import { EVENT_TYPES } from '../event.types';

export const EVENT_TYPE_FILTERS = ['*', ...EVENT_TYPES] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NAME_RULE = 'name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit';

export class EventSubscriptionParamsDto {
  @ApiProperty({ example: 'sub_0b9f4f0e-8d5a-4c55-9a4e-2f3f3b7c9d10' })
  @Matches(/^sub_[0-9a-f-]{36}$/, { message: 'id must be a subscription id (sub_<uuid>)' })
  id: string;
}

export class EventDeliveryParamsDto extends EventSubscriptionParamsDto {
  @ApiProperty({ example: '42' })
  @Matches(/^[1-9]\d{0,15}$/, { message: 'delivery_id must be a delivery id (a positive integer)' })
  delivery_id: string;
}

export class CreateEventSubscriptionDto {
  @ApiProperty({
    description: 'Where events are POSTed: https with a public address in production (loopback allowed outside it)',
    example: 'https://lms.example.edu/gateway/webhooks',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ description: 'Unique; config-declared subscriptions are identified by it', maxLength: 100 })
  @IsOptional()
  @Matches(NAME, { message: NAME_RULE })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    default: ['*'],
    description: 'The event types delivered, or ["*"] for every type (also those added later)',
    enum: EVENT_TYPE_FILTERS,
    isArray: true,
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_TYPE_FILTERS.length)
  @IsIn(EVENT_TYPE_FILTERS, { each: true })
  event_types?: string[];
}

export class UpdateEventSubscriptionDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Matches(NAME, { message: NAME_RULE })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPE_FILTERS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_TYPE_FILTERS.length)
  @IsIn(EVENT_TYPE_FILTERS, { each: true })
  event_types?: string[];
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    default: 86_400,
    description: 'How long the old secret keeps signing beside the new one (seconds, at most 7 days)',
    maximum: 604_800,
    minimum: 0,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  overlap_seconds?: number;
}

export class ReplayEventsDto {
  @ApiProperty({
    description: 'Every event that happened at or after this time is sent again',
    example: '2026-11-27T00:00:00Z',
  })
  @IsISO8601({ strict: true })
  since: string;
}

export class ListQueryDto {
  @ApiPropertyOptional({ default: 50, maximum: 200, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ListDeliveriesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'succeeded', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'succeeded', 'failed'])
  status?: 'pending' | 'succeeded' | 'failed';

  @ApiPropertyOptional({ example: 'evt_0b9f4f0e-8d5a-4c55-9a4e-2f3f3b7c9d10' })
  @IsOptional()
  @Matches(/^evt_[0-9a-f-]{36}$/, { message: 'event_id must be an event id (evt_<uuid>)' })
  event_id?: string;
}

export class ListAttemptsQueryDto extends ListQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[1-9]\d{0,15}$/, { message: 'delivery_id must be a delivery id (a positive integer)' })
  delivery_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^evt_[0-9a-f-]{36}$/, { message: 'event_id must be an event id (evt_<uuid>)' })
  event_id?: string;
}

export class EventSubscriptionDto {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ description: 'config: declared in EVENT_SUBSCRIPTIONS, read-only here', enum: ['api', 'config'] })
  source: SubscriptionSource;
  @ApiProperty() url: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ enum: EVENT_TYPE_FILTERS, isArray: true }) event_types: string[];
  @ApiProperty({ enum: ['active', 'disabled'] }) status: SubscriptionStatus;
  @ApiProperty({
    description: 'Why it was disabled (by an admin, 410 Gone, 5 days failing)',
    nullable: true,
    type: String,
  })
  disabled_reason: string | null;
  @ApiProperty({ nullable: true, type: String }) disabled_at: string | null;
  @ApiProperty({ description: 'Deliveries have failed since then without a success', nullable: true, type: String })
  failing_since: string | null;
  @ApiProperty({ description: 'Until then the previous secret signs too', nullable: true, type: String })
  previous_secret_expires_at: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class EventSubscriptionWithSecretDto extends EventSubscriptionDto {
  @ApiProperty({ description: 'Shown only now: whsec_ and the base64 of 32 random bytes', example: 'whsec_...' })
  secret: string;
}

export class EventSubscriptionPageDto {
  @ApiProperty({ type: [EventSubscriptionDto] }) items: EventSubscriptionDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class EventDeliveryDto {
  @ApiProperty() id: number;
  @ApiProperty() subscription_id: string;
  @ApiProperty({ description: 'The webhook-id of every attempt' }) event_id: string;
  @ApiProperty() event_type: string;
  @ApiProperty({ nullable: true, type: String }) registration_id: string | null;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String }) next_attempt_at: string | null;
  @ApiProperty({ nullable: true, type: Number }) last_status_code: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) completed_at: string | null;
}

export class EventDeliveryPageDto {
  @ApiProperty({ type: [EventDeliveryDto] }) items: EventDeliveryDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class EventDeliveryAttemptDto {
  @ApiProperty() id: number;
  @ApiProperty() delivery_id: number;
  @ApiProperty() event_id: string;
  @ApiProperty() attempt: number;
  @ApiProperty() attempted_at: string;
  @ApiProperty({ enum: ['success', 'failure', 'timeout', 'error'] }) result: string;
  @ApiProperty({ nullable: true, type: Number }) status_code: number | null;
  @ApiProperty() duration_ms: number;
  @ApiProperty({ description: 'The first 1 kB of the answer', nullable: true, type: String })
  response_excerpt: string | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
}

export class EventDeliveryAttemptPageDto {
  @ApiProperty({ type: [EventDeliveryAttemptDto] }) items: EventDeliveryAttemptDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class RedeliveryAcceptedDto {
  @ApiProperty() delivery_id: number;
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
}

export class ReplayAcceptedDto {
  @ApiProperty({ description: 'Deliveries queued' }) queued: number;
}
