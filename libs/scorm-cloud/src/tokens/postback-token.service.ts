import { UnauthenticatedError } from '@app/common';
import { Injectable } from '@nestjs/common';

import { ScormTokenService } from './scorm-token.service';

export const POSTBACK_TOKEN_AUDIENCE = 'scorm-postback';
/**
 * SCORM Cloud keeps the postback URL for the registration's life and retries deliveries for days, so the token
 * must outlive any realistic course; a leaked token only lets its holder post progress for one registration,
 * which the webhook still authenticates and re-confirms against the API.
 */
const POSTBACK_TOKEN_TTL_SECONDS = 400 * 24 * 3600;

/** The per-registration token in each postback URL: proves the URL is ours and names its registration. */
@Injectable()
export class PostbackTokenService {
  constructor(private readonly tokens: ScormTokenService) {}

  async sign(registrationId: string): Promise<string> {
    const { token } = await this.tokens.issue({
      audience: POSTBACK_TOKEN_AUDIENCE,
      subject: registrationId,
      ttlSeconds: POSTBACK_TOKEN_TTL_SECONDS,
    });
    return token;
  }

  async verify(token: string): Promise<{ registrationId: string }> {
    const payload = await this.tokens.verify(token, POSTBACK_TOKEN_AUDIENCE, 'POSTBACK_TOKEN_INVALID');
    if (!payload.sub)
      throw new UnauthenticatedError('POSTBACK_TOKEN_INVALID', 'The postback token names no registration');
    return { registrationId: payload.sub };
  }
}
