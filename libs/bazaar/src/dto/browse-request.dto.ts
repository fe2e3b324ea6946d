import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

import { BazaarUserContextDto, FROM_TOKEN, ID_STRING_SCHEMA, IdString } from './bazaar-user.dto';

/**
 * `lms/browse` arguments (the Bazaar spec) without the callback URLs, which the gateway builds itself around a
 * single-use state, plus where the browser goes back to afterwards.
 */
export class BrowseRequestDto extends BazaarUserContextDto {
  @ApiPropertyOptional({
    ...ID_STRING_SCHEMA,
    description: `LMS user id (string; a JSON integer is accepted). Required with an API key. ${FROM_TOKEN('sub')}`,
    example: 'u-1001',
  })
  @IsOptional()
  @IdString()
  @IsString()
  @Length(1, 128)
  user_id?: string;

  @ApiProperty({
    description:
      'Where the browser returns after adding or cancelling; its origin must be in ALLOWED_RETURN_ORIGINS. ' +
      'The outcome is appended to its query: bazaar_status=added&count=N, bazaar_status=cancelled, or ' +
      'bazaar_status=error&bazaar_error=<code>',
    example: 'https://lms.example.edu/course/21',
  })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2000)
  return_url: string;
}

export class BrowseResponseDto {
  @ApiProperty({
    description: 'One-time Bazaar store URL; send the browser there',
    example: 'https://bazaar.gov/browse',
  })
  browse_url: string;

  @ApiProperty({ description: 'The URL stops working after this (60 s, the Bazaar spec)', format: 'date-time' })
  expires_at: string;
}
