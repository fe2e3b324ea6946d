import { UnauthenticatedError, constantTimeEqual } from '@app/common';
import { AppConfigService, loadAppConfig } from '@app/config';
import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { SignJWT } from 'jose';

import { ApiKeyRegistry } from './api-key.registry';
import { AuthFailureLimiter } from './auth-failure.limiter';
import { bindToToken, hasRole } from './caller.policy';
import { MemoryAuthFailureStore } from './failures/memory-auth-failure.store';
import { LmsJwtVerifier } from './lms-jwt.verifier';
import { WebhookCredentialsVerifier, parseBasicAuth } from './webhook-credentials.verifier';

const SECRET = 'unit-test-jwt-secret-0123456789-abcdef';

function configWith(env: Record<string, string>): AppConfigService {
  const config = loadAppConfig(env);
  return { auth: config.auth, webhook: config.webhook } as unknown as AppConfigService;
}

const sign = (claims: Record<string, unknown>, secret = SECRET, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));

describe('ApiKeyRegistry', () => {
  const registry = new ApiKeyRegistry(configWith({ API_KEYS: 'lms:aaaaaaaaaaaaaaaaaaaa,ops:bbbbbbbbbbbbbbbbbbbb' }));

  it('names the key that matches and nothing else', () => {
    expect(registry.identify('aaaaaaaaaaaaaaaaaaaa')).toBe('lms');
    expect(registry.identify('bbbbbbbbbbbbbbbbbbbb')).toBe('ops');
    expect(registry.identify('aaaaaaaaaaaaaaaaaaab')).toBeUndefined();
    expect(registry.identify('')).toBeUndefined();
  });
});

describe('AuthFailureLimiter', () => {
  const limiterWith = (limit: number) =>
    new AuthFailureLimiter(
      new MemoryAuthFailureStore(new ThrottlerStorageService()),
      configWith({ AUTH_FAILURE_LIMIT: String(limit) }),
    );

  it('counts an IPv6 /64 as one client: rotating addresses inside it does not reset the count', async () => {
    const limiter = limiterWith(2);
    for (const address of ['2001:db8:1:2::a', '2001:db8:1:2:ffff::1', '2001:0db8:0001:0002:0:0:0:b']) {
      await limiter.recordFailure(address);
    }
    expect(limiter.blockedFor('2001:db8:1:2::99')).toBeGreaterThan(0);
    expect(limiter.blockedFor('2001:db8:1:3::a')).toBe(0);
  });

  it('counts an IPv4 address and its IPv4-mapped IPv6 form as one client, and other addresses apart', async () => {
    const limiter = limiterWith(1);
    await limiter.recordFailure('203.0.113.7');
    await limiter.recordFailure('::ffff:203.0.113.7');
    expect(limiter.blockedFor('203.0.113.7')).toBeGreaterThan(0);
    expect(limiter.blockedFor('203.0.113.8')).toBe(0);
  });
});

describe('LmsJwtVerifier', () => {
  const verifier = new LmsJwtVerifier(configWith({ LMS_JWT_SECRET: SECRET }));
  // These tokens are unscoped on purpose; their warning is tested below.
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());
  const exp = () => Math.floor(Date.now() / 1000) + 300;

  it('returns the user id and role of a good token', async () => {
    await expect(verifier.verify(await sign({ exp: exp(), role: 'teacher', sub: 't-1' }))).resolves.toEqual({
      role: 'teacher',
      userId: 't-1',
    });
  });

  it.each([
    ['no exp', { role: 'teacher', sub: 't-1' }, 'TOKEN_INVALID'],
    ['no sub', { exp: 0, role: 'teacher' }, 'TOKEN_INVALID'],
    ['unknown role', { exp: 0, role: 'root', sub: 't-1' }, 'TOKEN_INVALID'],
    ['expired', { exp: 1000, role: 'teacher', sub: 't-1' }, 'TOKEN_EXPIRED'],
  ])('refuses a token with %s', async (_name, claims, code) => {
    const withExp = { ...claims, ...('exp' in claims && claims.exp === 0 ? { exp: exp() } : {}) };
    await expect(verifier.verify(await sign(withExp))).rejects.toMatchObject({ code });
  });

  it('refuses another secret and other algorithms', async () => {
    await expect(
      verifier.verify(await sign({ exp: exp(), role: 'admin', sub: 'x' }, 'x'.repeat(40))),
    ).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(
      verifier.verify(await sign({ exp: exp(), role: 'admin', sub: 'x' }, SECRET + SECRET, 'HS512')),
    ).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});

describe('LmsJwtVerifier scope', () => {
  const exp = () => Math.floor(Date.now() / 1000) + 300;
  const scope = { city_id: '091', contexts: ['bio-7a'], school_id: '00913' };
  const verifierIn = (env: string) =>
    new LmsJwtVerifier({ auth: { lmsJwtSecret: SECRET }, env } as unknown as AppConfigService);

  it('hands the scope claims to the caller', async () => {
    const token = await sign({ ...scope, exp: exp(), given_name: 'Sami', role: 'student', sub: 's-1' });
    await expect(verifierIn('production').verify(token)).resolves.toMatchObject({
      cityId: '091',
      contexts: ['bio-7a'],
      givenName: 'Sami',
      schoolId: '00913',
      userId: 's-1',
    });
  });

  it('refuses an unscoped token in production with 401 naming the missing claims', async () => {
    const token = await sign({ city_id: '091', exp: exp(), role: 'teacher', sub: 't-1' });
    await expect(verifierIn('production').verify(token)).rejects.toMatchObject({
      code: 'TOKEN_SCOPE_MISSING',
      message: expect.stringMatching(/no "school_id", "contexts" claims/),
    });
  });

  it('refuses a malformed claim in any environment', async () => {
    const token = await sign({
      ...scope,
      contexts: [{ id: 'bio-7a', role: 'teacher' }],
      exp: exp(),
      role: 'teacher',
      sub: 't',
    });
    await expect(verifierIn('development').verify(token)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
      message: expect.stringContaining('"contexts"'),
    });
  });

  it('accepts an unscoped token outside production, warning once per subject', async () => {
    const verifier = verifierIn('development');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      for (const sub of ['t-1', 't-1', 't-1', 't-2']) {
        await expect(verifier.verify(await sign({ exp: exp(), role: 'teacher', sub }))).resolves.toEqual({
          role: 'teacher',
          userId: sub,
        });
      }
      expect(warn).toHaveBeenCalledTimes(2);
      expect(warn.mock.calls.map(([fields]) => fields)).toEqual([{ sub: 't-1' }, { sub: 't-2' }]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('webhook credentials', () => {
  const verifier = new WebhookCredentialsVerifier(
    configWith({ WEBHOOK_PASSWORD: 'pw-0123456789abcdef', WEBHOOK_USERNAME: 'scorm' }),
  );
  const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

  it('accepts the configured pair only', () => {
    expect(verifier.verify('scorm', 'pw-0123456789abcdef')).toBe(true);
    expect(verifier.verify('scorm', 'pw-0123456789abcdeX')).toBe(false);
    expect(verifier.verify('other', 'pw-0123456789abcdef')).toBe(false);
    expect(verifier.verify(undefined, undefined)).toBe(false);
  });

  it('reads Basic headers, passwords with colons included', () => {
    expect(parseBasicAuth(basic('u:p:with:colons'))).toEqual({ password: 'p:with:colons', username: 'u' });
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(basic('nocolon'))).toBeUndefined();
    expect(verifier.verifyBasicHeader(basic('scorm:pw-0123456789abcdef'))).toBe(true);
  });
});

describe('caller policy and constant-time comparison', () => {
  it('lets API keys act for anyone and users only for themselves', () => {
    const claimed = (userId: string, role?: string) => ({
      role: { claim: 'role' as const, value: role },
      user_id: { claim: 'sub' as const, value: userId },
    });
    expect(() => bindToToken({ keyName: 'k', kind: 'api_key', role: 'admin' }, claimed('y', 'x'))).not.toThrow();
    const student = { kind: 'user' as const, role: 'student' as const, userId: 's-1' };
    expect(() => bindToToken(student, claimed('s-1', 'student'))).not.toThrow();
    expect(() => bindToToken(student, claimed('s-1', 'teacher'))).toThrow(/role must be/);
    expect(() => bindToToken(student, claimed('s-2'))).toThrow(/user_id must be/);
    expect(hasRole(student, 'teacher', 'admin')).toBe(false);
  });

  it('compares values of different lengths without throwing', () => {
    expect(constantTimeEqual('a', 'a')).toBe(true);
    expect(constantTimeEqual('a', 'ab')).toBe(false);
  });
});
