import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export class ListWebhookEventsQueryDto {
  @ApiPropertyOptional({ default: 50, maximum: 200, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ default: 0, maximum: Number.MAX_SAFE_INTEGER, minimum: 0 })
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
}
