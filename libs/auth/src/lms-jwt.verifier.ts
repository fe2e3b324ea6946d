import { AppConfigService } from '@app/config';
import { UnauthenticatedError } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { errors, jwtVerify } from 'jose';
import { KeyObject, createSecretKey } from 'node:crypto';

import { USER_ROLES, UserRole, UserScope } from './caller';
import { parseScopeClaims } from './scope-claims.parser';

export type LmsUser = { userId: string; role: UserRole } & UserScope;

/** An unscoped token outside production is logged once per subject in this window, not on every request. */
const UNSCOPED_WARNING_EVERY_MS = 60 * 60_000;
/** Bounds the memory of warned subjects; past it the oldest are forgotten (and may be warned about again). */
const UNSCOPED_WARNING_SUBJECTS = 1000;

/** Verifies the short-lived HS256 user tokens the LMS issues with `LMS_JWT_SECRET`, and reads their scope. */
@Injectable()
export class LmsJwtVerifier {
  private readonly logger = new Logger(LmsJwtVerifier.name);
  /** Imported once: jose would otherwise import raw secret bytes into a key object on every request. */
  private readonly secret: KeyObject;
  private readonly production: boolean;
  private readonly warned = new Map<string, number>();

  constructor(config: AppConfigService) {
    this.secret = createSecretKey(Buffer.from(config.auth.lmsJwtSecret, 'utf8'));
    this.production = config.env === 'production';
  }

  async verify(token: string): Promise<LmsUser> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new UnauthenticatedError('TOKEN_EXPIRED', 'The bearer token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw new UnauthenticatedError(
          'TOKEN_INVALID',
          `The bearer token is missing or has a bad "${error.claim}" claim`,
        );
      }
      throw new UnauthenticatedError('TOKEN_INVALID', 'The bearer token is not a valid API key or LMS token');
    }
    const { sub, role } = payload;
    if (typeof sub !== 'string' || !sub || sub.length > 255) {
      throw new UnauthenticatedError('TOKEN_INVALID', 'The bearer token "sub" claim must be a user id');
    }
    if (typeof role !== 'string' || !(USER_ROLES as readonly string[]).includes(role)) {
      throw new UnauthenticatedError(
        'TOKEN_INVALID',
        'The bearer token "role" claim must be student, teacher or admin',
      );
    }
    const { scope, missing } = parseScopeClaims(payload);
    if (missing.length) {
      const names = missing.map((claim) => `"${claim}"`).join(', ');
      if (this.production) {
        throw new UnauthenticatedError(
          'TOKEN_SCOPE_MISSING',
          `The bearer token has no ${names} claim${missing.length > 1 ? 's' : ''}: a user token must carry its ` +
            'scope (school_id, city_id, contexts)',
        );
      }
      this.warnUnscoped(sub, names);
    }
    return { ...scope, role: role as UserRole, userId: sub };
  }

  /** Existing demos keep working outside production; the log says what production would refuse. */
  private warnUnscoped(sub: string, names: string): void {
    const now = Date.now();
    const last = this.warned.get(sub);
    if (last !== undefined && now - last < UNSCOPED_WARNING_EVERY_MS) return;
    this.warned.delete(sub);
    this.warned.set(sub, now);
    if (this.warned.size > UNSCOPED_WARNING_SUBJECTS) this.warned.delete(this.warned.keys().next().value as string);
    this.logger.warn(
      { sub },
      `A user token without the ${names} scope claim(s) was accepted unscoped (not in production, where it is ` +
        'refused with 401 TOKEN_SCOPE_MISSING). Its user is bound only by user_id and role.',
    );
  }
}
