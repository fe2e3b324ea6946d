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
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'Who the bearer token authenticates as' })
  @ApiOkResponse({ type: CallerDto })
  me(@CurrentCaller() caller: Caller): CallerDto {
    return caller.kind === 'api_key'
      ? { key_name: caller.keyName, kind: caller.kind, role: caller.role }
      : { kind: caller.kind, role: caller.role, user_id: caller.userId };
  }
}
