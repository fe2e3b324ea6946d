import { ExecutionContext, SetMetadata, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

import type { Caller, UserRole } from './caller';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_ROLES = 'auth:roles';
export const ACCEPTS_QUERY_CREDENTIAL = 'auth:query-credential';

/**
 * The OpenAPI security requirement that marks a public route: the document builder drops it, leaving the route's
 * own scheme (the postbacks' HTTP Basic) or none, instead of the document-wide bearer requirement.
 */
export const PUBLIC_SECURITY_MARKER: Record<string, string[]> = {};

/** The route needs no bearer token (it authenticates another way, or is public by nature). */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity(PUBLIC_SECURITY_MARKER));

/**
 * The route also takes a one-time credential in the query (`?<param>=`, the event stream's ticket, for browsers'
 * EventSource, which cannot send headers): when that parameter is present and no Authorization header is, the guard
 * lets the request through unauthenticated and the handler redeems the credential itself.
 */
export const AcceptsQueryCredential = (param: string) => SetMetadata(ACCEPTS_QUERY_CREDENTIAL, param);

/** Only these user roles may call the route; an API key is full trust and always may. */
export const Roles = (...roles: UserRole[]) => SetMetadata(REQUIRED_ROLES, roles);

/** The authenticated caller of this request. */
export const CurrentCaller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller => ctx.switchToHttp().getRequest<{ caller: Caller }>().caller,
);
