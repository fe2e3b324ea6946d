import { CursorPageQueryDto, PageLimit } from '@app/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min } from 'class-validator';

import type { PostbackOutcome } from '../entities/webhook-event.entity';

export const POSTBACK_OUTCOMES: readonly PostbackOutcome[] = ['applied', 'stale', 'unknown_registration'];

export class ListWebhookEventsQueryDto extends CursorPageQueryDto {
  @PageLimit({ default: 50, max: 200 })
  limit?: number;

  @ApiPropertyOptional({
    deprecated: true,
    description:
      'Page by position (the list before cursors): slower the deeper it goes, and it answers `offset` and `total` ' +
      '(a COUNT of every match). Use `cursor`; the two cannot be combined.',
    maximum: Number.MAX_SAFE_INTEGER,
    minimum: 0,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // Past this a number prints in exponent form (1e+21) or loses digits, and the SQL OFFSET breaks.
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ description: 'Only postbacks about this registration', example: 'reg-123' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  registration_id?: string;

  @ApiPropertyOptional({ description: "Only postbacks about this learner's registrations", example: 'u-1001' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  learner_id?: string;

  @ApiPropertyOptional({ description: "Only postbacks about this course's registrations", example: 'course-1' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  course_id?: string;

  @ApiPropertyOptional({ description: 'Only postbacks the projection handled this way', enum: POSTBACK_OUTCOMES })
  @IsOptional()
  @IsIn(POSTBACK_OUTCOMES)
  outcome?: PostbackOutcome;

  @ApiPropertyOptional({ description: 'Received at or after this time (ISO 8601)', format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  received_from?: string;

  @ApiPropertyOptional({ description: 'Received strictly before this time (ISO 8601)', format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  received_before?: string;
}
