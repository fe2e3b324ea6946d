import { ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';

import type { Caller, UserRole } from './caller';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_ROLES = 'auth:roles';

/** The route needs no bearer token (it authenticates another way, or is public by nature). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only these user roles may call the route; an API key is full trust and always may. */
export const Roles = (...roles: UserRole[]) => SetMetadata(REQUIRED_ROLES, roles);

/** The authenticated caller of this request. */
export const CurrentCaller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller => ctx.switchToHttp().getRequest<{ caller: Caller }>().caller,
);
