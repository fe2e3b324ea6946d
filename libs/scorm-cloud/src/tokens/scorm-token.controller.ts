import { Public, Roles } from '@app/auth';
import { Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ScormTokenService } from './scorm-token.service';
import { JwksDto, ScormTokenDto } from '../dto/token.dto';

@ApiTags('scorm-cloud')
@Controller()
export class ScormTokenController {
  constructor(private readonly tokens: ScormTokenService) {}

  @Post('api/v1/scorm/token')
  @HttpCode(200)
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Issue an RS256 SCORM token (the webhook guide): iss/sub = app id, aud = SCORM, one hour' })
  @ApiOkResponse({ type: ScormTokenDto })
  async token(): Promise<ScormTokenDto> {
    return this.tokens.issue().then(({ expiresAt, token }) => ({
      expires_at: expiresAt.toISOString(),
      token,
      token_type: 'Bearer',
    }));
  }

  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'The public key(s) that verify tokens issued by this gateway (JWKS)' })
  @ApiOkResponse({ type: JwksDto })
  jwks(): Promise<JwksDto> {
    return this.tokens.jwks() as Promise<JwksDto>;
  }
}
