import { Clock, ErrorCode, UnauthenticatedError } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { JWK, JWTPayload, SignJWT, errors, jwtVerify } from 'jose';

import { ScormKeyStore } from './scorm-key.store';

export const SCORM_TOKEN_AUDIENCE = 'SCORM';
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

export interface IssueTokenOptions {
  subject?: string;
  audience?: string;
  ttlSeconds?: number;
  claims?: Record<string, unknown>;
}

/** RS256 tokens per the webhook guide: `iss`/`sub` = app id, `aud` = SCORM, one hour, `kid` = the key's thumbprint. */
@Injectable()
export class ScormTokenService {
  constructor(
    private readonly keys: ScormKeyStore,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  async issue(options: IssueTokenOptions = {}): Promise<IssuedToken> {
    const { kid, privateKey } = await this.keys.signingKey();
    const appId = this.config.scormCloud.appId;
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const exp = now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
    const token = await new SignJWT({ ...options.claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(appId)
      .setSubject(options.subject ?? appId)
      .setAudience(options.audience ?? SCORM_TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { expiresAt: new Date(exp * 1000), token };
  }

  /** Verifies one of our own tokens for the given audience; throws UnauthenticatedError with `code`. */
  async verify(token: string, audience: string, code: ErrorCode): Promise<JWTPayload> {
    const { publicKey } = await this.keys.signingKey();
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: ['RS256'],
        audience,
        currentDate: this.clock.now(),
        issuer: this.config.scormCloud.appId,
      });
      return payload;
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'has expired' : 'is not valid';
      throw new UnauthenticatedError(code, `The token ${reason}`);
    }
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const { kid, publicJwk } = await this.keys.signingKey();
    return { keys: [{ ...publicJwk, alg: 'RS256', kid, use: 'sig' }] };
  }
}
