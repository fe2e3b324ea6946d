export const USER_ROLES = ['student', 'teacher', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Who is calling the gateway: a server holding an API key (full trust) or an LMS user with a JWT. */
export type Caller =
  { kind: 'api_key'; keyName: string; role: 'admin' } | { kind: 'user'; userId: string; role: UserRole };

export function describeCaller(caller: Caller): string {
  return caller.kind === 'api_key' ? `api-key:${caller.keyName}` : `user:${caller.userId}`;
}
