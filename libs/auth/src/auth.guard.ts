import { ForbiddenError, UnauthenticatedError, authRateLimited } from '@app/common';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

import { ApiKeyRegistry } from './api-key.registry';
import { ACCEPTS_QUERY_CREDENTIAL, IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';
import { AuthFailureLimiter } from './auth-failure.limiter';
import type { Caller, UserRole } from './caller';
import { LmsJwtVerifier } from './lms-jwt.verifier';

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i;

/** Global guard: every route needs a bearer API key or LMS user JWT unless it is marked `@Public()`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyRegistry,
    private readonly jwt: LmsJwtVerifier,
    private readonly limiter: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';

    const blocked = this.limiter.blockedFor(address);
    if (blocked) throw authRateLimited(blocked);

    const queryCredential = this.reflector.getAllAndOverride<string | undefined>(ACCEPTS_QUERY_CREDENTIAL, targets);
    if (queryCredential && !req.headers.authorization && typeof req.query[queryCredential] === 'string') return true;

    try {
      req.caller = await this.authenticate(req.headers.authorization);
    } catch (error) {
      if (error instanceof UnauthenticatedError && error.code !== 'AUTH_MISSING') {
        const retryAfter = await this.limiter.recordFailure(address);
        if (retryAfter) throw authRateLimited(retryAfter);
      }
      throw error;
    }

    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(REQUIRED_ROLES, targets);
    if (roles?.length && req.caller.kind === 'user' && !roles.includes(req.caller.role)) {
      throw new ForbiddenError(
        'ROLE_FORBIDDEN',
        `This action needs the role ${roles.join(' or ')}; the token's role is ${req.caller.role}`,
      );
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Caller> {
    if (!header) throw new UnauthenticatedError('AUTH_MISSING', 'An Authorization: Bearer <token> header is required');
    const match = BEARER.exec(header);
    if (!match) throw new UnauthenticatedError('AUTH_MALFORMED', 'The Authorization header must be "Bearer <token>"');
    const token = match[1];
    const keyName = this.apiKeys.identify(token);
    if (keyName) return { keyName, kind: 'api_key', role: 'admin' };
    if (token.split('.').length !== 3) {
      throw new UnauthenticatedError('TOKEN_INVALID', 'The bearer token is not a valid API key or LMS token');
    }
    return { ...(await this.jwt.verify(token)), kind: 'user' };
  }
}
