import { SignJWT } from 'jose';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef';
export const TEST_JWT_SECRET = 'test-lms-jwt-secret-0123456789-abcdef';

/**
 * The scope claims of the default Bazaar test user (`bazaarUser()` in test/bazaar-e2e.helpers.ts): their school,
 * city, the course `course-21`, names and email, so a body built from `bazaarUser()` matches the token.
 */
export const TEST_SCOPE = {
  city_id: '091',
  contexts: ['course-21'],
  email: 'tiina.opettaja@koulu.example.fi',
  family_name: 'Öhman',
  given_name: 'Tiina',
  school_id: '00913',
} as const;

export type TokenScope = { [K in keyof typeof TEST_SCOPE]?: unknown };

/**
 * An LMS user token as the LMS would mint it (HS256, `sub`, `role`, `exp`). Unscoped unless `scope` is given: `true`
 * for TEST_SCOPE, or claims that replace TEST_SCOPE's (a claim set to undefined is left out).
 */
export async function userToken(
  sub: string,
  role: 'student' | 'teacher' | 'admin' | string,
  options: {
    expiresIn?: string | number;
    secret?: string;
    extra?: Record<string, unknown>;
    scope?: true | TokenScope;
  } = {},
): Promise<string> {
  const scope = options.scope === undefined ? {} : { ...TEST_SCOPE, ...(options.scope === true ? {} : options.scope) };
  return new SignJWT({ role, ...scope, ...options.extra })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
