import { SignJWT } from 'jose';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef';
export const TEST_JWT_SECRET = 'test-lms-jwt-secret-0123456789-abcdef';

/** An LMS user token as the LMS would mint it (HS256, `sub`, `role`, `exp`). */
export async function userToken(
  sub: string,
  role: 'student' | 'teacher' | 'admin' | string,
  options: { expiresIn?: string | number; secret?: string; extra?: Record<string, unknown> } = {},
): Promise<string> {
  return new SignJWT({ role, ...options.extra })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
