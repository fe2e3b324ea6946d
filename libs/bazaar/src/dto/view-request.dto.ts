import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, Matches, MaxLength } from 'class-validator';

import { BazaarUserContextDto, FROM_TOKEN, ID_STRING_SCHEMA, IdString } from './bazaar-user.dto';

/**
 * The Bazaar spec calls resource_uid a "128bit UUID", but the live store's uids are record ids
 * (docs/sources.md), so a UUID or any 1-128 character id without whitespace or control characters is accepted.
 */
export const RESOURCE_UID_PATTERN = /^[^\s\p{Cc}]{1,128}$/u;

/** `lms/view` arguments (the Bazaar spec). The material must already be stored in the course. */
export class ViewRequestDto extends BazaarUserContextDto {
  @ApiPropertyOptional({
    ...ID_STRING_SCHEMA,
    description: `LMS user id (string; a JSON integer is accepted). Required with an API key. ${FROM_TOKEN('sub')}`,
    example: 'u-1001',
  })
  @IsOptional()
  @IdString()
  @IsString()
  @Length(1, 255)
  user_id?: string;

  @ApiProperty({
    description: 'Bazaar resource id: a UUID, or a record id (1-128 characters, no whitespace)',
    example: 'dc38da67-bb73-4062-8c67-a6e76e6c8f69',
  })
  @IsString()
  @Matches(RESOURCE_UID_PATTERN, { message: 'resource_uid must be a UUID or a 1-128 character id without spaces' })
  resource_uid: string;

  @ApiPropertyOptional({
    description: "Where Bazaar's page links back to; its origin must be in ALLOWED_RETURN_ORIGINS",
    example: 'https://lms.example.edu/course/21',
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2000)
  return_url?: string;
}

export class ViewResponseDto {
  @ApiProperty({
    description: 'One-time Bazaar view URL; send the browser there',
    example: 'https://bazaar.gov/df0ae5a6',
  })
  view_url: string;

  @ApiProperty({ description: 'The URL stops working after this (60 s, the Bazaar spec)', format: 'date-time' })
  expires_at: string;
}
