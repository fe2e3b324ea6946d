export const USER_ROLES = ['student', 'teacher', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * What an LMS user token says about its user besides `sub` and `role` (README, "Token scope"). In production the
 * token must carry `schoolId`, `cityId` and `contexts`; outside production a token without them is accepted with
 * the old, unscoped behaviour, and they are undefined here. The names and email are optional OIDC claims.
 */
export interface UserScope {
  schoolId?: string;
  cityId?: string;
  /** The course (context) ids the user belongs to, with the token's role in each. */
  contexts?: readonly string[];
  givenName?: string;
  familyName?: string;
  email?: string;
}

export type ApiKeyCaller = { kind: 'api_key'; keyName: string; role: 'admin' };
export type UserCaller = { kind: 'user'; userId: string; role: UserRole } & UserScope;

/** Who is calling the gateway: a server holding an API key (full trust) or an LMS user with a JWT. */
export type Caller = ApiKeyCaller | UserCaller;

export function describeCaller(caller: Caller): string {
  return caller.kind === 'api_key' ? `api-key:${caller.keyName}` : `user:${caller.userId}`;
}
