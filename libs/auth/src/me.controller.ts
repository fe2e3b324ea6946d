import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';

import { CurrentCaller } from './auth.decorators';
import type { Caller } from './caller';

class CallerDto {
  @ApiProperty({ enum: ['api_key', 'user'] })
  kind: 'api_key' | 'user';

  @ApiProperty({ enum: ['student', 'teacher', 'admin'], description: 'API keys act with full trust (admin)' })
  role: string;

  @ApiPropertyOptional({ description: 'The LMS user id (user tokens)' })
  user_id?: string;

  @ApiPropertyOptional({ description: 'The API key name (API keys)' })
  key_name?: string;

  @ApiPropertyOptional({ description: "The token's school_id claim (user tokens that carry it)" })
  school_id?: string;

  @ApiPropertyOptional({ description: "The token's city_id claim" })
  city_id?: string;

  @ApiPropertyOptional({
    description: "The token's contexts claim: the courses the user acts in with the token's role",
    type: [String],
  })
  contexts?: string[];

  @ApiPropertyOptional({ description: "The token's given_name claim" })
  given_name?: string;

  @ApiPropertyOptional({ description: "The token's family_name claim" })
  family_name?: string;

  @ApiPropertyOptional({ description: "The token's email claim" })
  email?: string;

  @ApiPropertyOptional({
    description:
      'true: a user token without its scope claims, accepted only outside production and bound only by ' +
      'user_id and role',
  })
  unscoped?: boolean;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'Who the bearer token authenticates as, with the scope a user token carries' })
  @ApiOkResponse({ type: CallerDto })
  me(@CurrentCaller() caller: Caller): CallerDto {
    if (caller.kind === 'api_key') return { key_name: caller.keyName, kind: caller.kind, role: caller.role };
    return {
      city_id: caller.cityId,
      contexts: caller.contexts ? [...caller.contexts] : undefined,
      email: caller.email,
      family_name: caller.familyName,
      given_name: caller.givenName,
      kind: caller.kind,
      role: caller.role,
      school_id: caller.schoolId,
      unscoped: caller.schoolId === undefined || caller.cityId === undefined || caller.contexts === undefined,
      user_id: caller.userId,
    };
  }
}
