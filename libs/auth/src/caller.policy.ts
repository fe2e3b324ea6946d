import { ForbiddenError } from '@app/common';

import type { Caller, UserRole } from './caller';

/**
 * With a user JWT, the user a request body speaks for must be the token's user with the token's role:
 * a student cannot claim to be a teacher, nor act for another student. API keys are full trust.
 */
export function assertCallerIs(caller: Caller, claimed: { userId?: string | number; role?: string }): void {
  if (caller.kind === 'api_key') return;
  if (claimed.userId !== undefined && String(claimed.userId) !== caller.userId) {
    throw new ForbiddenError('USER_MISMATCH', `user_id must be the token's user (${caller.userId})`);
  }
  if (claimed.role !== undefined && claimed.role !== caller.role) {
    throw new ForbiddenError('ROLE_MISMATCH', `role must be the token's role (${caller.role})`);
  }
}

export function hasRole(caller: Caller, ...roles: UserRole[]): boolean {
  return caller.kind === 'api_key' || roles.includes(caller.role);
}
