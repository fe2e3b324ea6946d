import { AppConfigService } from '@app/config';
import { UnauthenticatedError } from '@app/common';
import { Injectable } from '@nestjs/common';
import { errors, jwtVerify } from 'jose';

import { USER_ROLES, UserRole } from './caller';

export interface LmsUser {
  userId: string;
  role: UserRole;
}

/** Verifies the short-lived HS256 user tokens the LMS issues with `LMS_JWT_SECRET`. */
@Injectable()
export class LmsJwtVerifier {
  private readonly secret: Uint8Array;

  constructor(config: AppConfigService) {
    this.secret = new TextEncoder().encode(config.auth.lmsJwtSecret);
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
    return { role: role as UserRole, userId: sub };
  }
}
