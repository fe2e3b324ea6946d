import { decodeProtectedHeader, jwtVerify } from 'jose';

import { loadSandboxConfig } from '../sandbox.config';
import { DEMO_COURSES, DEMO_USERS, findDemoUser } from './demo-catalog';
import { DEMO_TOKEN_TTL_SECONDS, DemoTokenSigner } from './demo-token.signer';

const SECRET = 'demo-spec-secret-0123456789-0123456789';

describe('DemoTokenSigner', () => {
  const signer = new DemoTokenSigner(loadSandboxConfig({ SANDBOX_DEMO_JWT_SECRET: SECRET }));

  it('mints an HS256 token with sub, role, scope, names and a ten-minute expiry that a standard verifier accepts', async () => {
    const now = Date.now();
    const { token, expires_at } = signer.sign(findDemoUser('teacher')!, now);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({
      city_id: '091',
      contexts: ['bio-7a-2026', 'hist-8b-2026'],
      email: 'tiina.teacher@kallio.example.fi',
      family_name: 'Teacher',
      given_name: 'Tiina',
      role: 'teacher',
      school_id: '00913',
      sub: 'tiina.teacher',
    });
    expect(payload.exp! - payload.iat!).toBe(DEMO_TOKEN_TTL_SECONDS);
    expect(Date.parse(expires_at)).toBe(payload.exp! * 1000);
  });

  it('is refused under another secret', async () => {
    const { token } = signer.sign(findDemoUser('student')!);
    await expect(jwtVerify(token, new TextEncoder().encode(`${SECRET}x`))).rejects.toThrow(/signature/);
  });
});

describe('demo users', () => {
  it('carry Bazaar fields within the limits of the Bazaar spec', () => {
    for (const user of DEMO_USERS) {
      expect(user.school_id.length).toBeGreaterThanOrEqual(5);
      expect(user.school_id.length).toBeLessThanOrEqual(10);
      expect(user.city_id.length).toBeLessThanOrEqual(10);
      expect(user.user_id.length).toBeLessThanOrEqual(128);
      expect(user.contexts).toEqual(DEMO_COURSES.map((course) => course.context_id));
      expect(['student', 'teacher', 'admin']).toContain(user.role);
    }
    expect(DEMO_USERS.map((user) => user.role)).toEqual(expect.arrayContaining(['teacher', 'student']));
  });
});
