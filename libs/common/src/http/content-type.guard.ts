import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import type { Request } from 'express';

import { unsupportedContentType } from '../errors/domain.error';

const JSON_ONLY = ['application/json'];
const READS_OWN_BODY = 'http:reads-own-body';

/**
 * For a route that negotiates its body itself and refuses other types in its own protocol's terms (the postback
 * receiver, whose callers must first be authenticated).
 */
export const ReadsOwnBody = () => SetMetadata(READS_OWN_BODY, true);

/**
 * A request body must be in a media type its route reads: the types its `@ApiConsumes()` declares (so the
 * OpenAPI document and the check are one declaration), JSON for every other route. Without this a JSON body sent
 * as text/plain or with no Content-Type reached validation as an empty or string body and was refused for the
 * wrong reason. Runs after authentication (AuthModule registers it right after its AuthGuard), before validation.
 * A guard rather than an interceptor: with no global interceptor, Nest answers every request without wrapping the
 * handler in RxJS and async resources (about a twentieth of the Bazaar routes' CPU, bench/bazaar.bench.js).
 */
@Injectable()
export class ContentTypeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    if (hasBody(req) && !this.reflector.getAllAndOverride<boolean>(READS_OWN_BODY, targets)) {
      const accepted =
        this.reflector.getAllAndOverride<string[] | undefined>(DECORATORS.API_CONSUMES, targets) ?? JSON_ONLY;
      const media = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (!accepted.includes(media) && !(media.endsWith('+json') && accepted.includes('application/json'))) {
        throw unsupportedContentType(media, accepted);
      }
    }
    return true;
  }
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
