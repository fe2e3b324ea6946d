import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../support/free-port';
import { GatewayProcess, spawnGateway } from '../support/gateway-process';
import { assertNoSecrets, secretsFromEnv } from '../support/secret-scan';
import { userToken } from '../support/tokens';

const KEYS = join(__dirname, '..', 'fixtures', 'keys');

/** A complete production configuration: real-looking secrets, https upstreams, a public URL. */
function productionEnv(port: number, dir: string): Record<string, string> {
  return {
    ALLOWED_RETURN_ORIGINS: 'https://lms.school.example',
    API_KEYS: 'lms:prod-key-7f3a9c1e5b2d4f6a8c0e',
    BAZAAR_BASE_URL: 'https://bazaar.example.fi/api/v1',
    BAZAAR_CLIENT_ID: 'school-lms',
    BAZAAR_SECRET_KEY: 'prod-bazaar-secret-9b8c7d6e5f4a3b2c',
    DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
    HOST: '127.0.0.1',
    LMS_JWT_SECRET: 'prod-lms-jwt-secret-4e5f6a7b8c9d0e1f2a3b4c5d',
    LOG_LEVEL: 'debug',
    NODE_ENV: 'production',
    PORT: String(port),
    PUBLIC_BASE_URL: 'https://gateway.school.example',
    SCORM_APP_ID: 'SCHOOLAPP',
    SCORM_CLOUD_BASE_URL: 'https://cloud.scorm.com/api/v2',
    SCORM_PRIVATE_KEY_PATH: join(KEYS, 'scorm_private_key.pem'),
    SCORM_PUBLIC_KEY_PATH: join(KEYS, 'scorm_public_key.pem'),
    SCORM_SECRET_KEY: 'prod-scorm-secret-1a2b3c4d5e6f',
    WEBHOOK_PASSWORD: 'prod-webhook-password-5d6e7f8a9b',
    WEBHOOK_USERNAME: 'school-scorm-postbacks',
  };
}

const DEMO = {
  API_KEYS: 'demo:demo-api-key-0123456789abcdef',
  LMS_JWT_SECRET: 'demo-lms-jwt-secret-at-least-32-bytes-long',
  WEBHOOK_PASSWORD: 'demo-webhook-password',
};

/** `NODE_ENV=production` against the process production runs (the built gateway when dist/ is fresh). */
describe('production mode refuses unsafe configurations at start-up', () => {
  let dir: string;
  const running: GatewayProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-prod-'));
  });
  afterAll(async () => {
    await Promise.all(running.map((gateway) => gateway.stop('SIGKILL')));
    rmSync(dir, { force: true, recursive: true });
  });

  async function start(change: (env: Record<string, string>) => void): Promise<GatewayProcess> {
    const env = productionEnv(await freePort(), dir);
    change(env);
    const gateway = spawnGateway(env, dir);
    running.push(gateway);
    return gateway;
  }

  async function refused(change: (env: Record<string, string>) => void): Promise<string> {
    const gateway = await start(change);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      gateway.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running:\n${gateway.output()}`)), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(gateway.output()).toMatch(/LMS Gateway failed to start: Invalid configuration/);
    return gateway.output();
  }

  it('refuses to start without API keys and webhook credentials', async () => {
    const output = await refused((env) => {
      delete env.API_KEYS;
      delete env.WEBHOOK_USERNAME;
      delete env.WEBHOOK_PASSWORD;
    });
    expect(output).toMatch(/API_KEYS/);
    expect(output).toMatch(/WEBHOOK_PASSWORD/);
    expect(output).toMatch(/WEBHOOK_USERNAME/);
  });

  it('refuses a webhook password that is too short to be a secret', async () => {
    expect(await refused((env) => (env.WEBHOOK_PASSWORD = 'short-pass'))).toMatch(
      /WEBHOOK_PASSWORD must be at least 16/,
    );
  });

  it.each([
    ['BAZAAR_BASE_URL', 'http://bazaar.example.fi/api/v1'],
    ['SCORM_CLOUD_BASE_URL', 'http://10.0.0.5/api/v2'],
    ['BAZAAR_BASE_URL', 'http://127.0.0.1:3100/bazaar/api/v1'],
  ])('refuses plain-http upstream %s=%s', async (variable, value) => {
    expect(await refused((env) => (env[variable] = value))).toMatch(new RegExp(`${variable} must use https://`));
  });

  it.each(Object.entries(DEMO))('refuses the demo value of %s', async (variable, value) => {
    expect(await refused((env) => (env[variable] = value))).toMatch(new RegExp(`${variable}`));
  });

  it('refuses the demo API key even under another name', async () => {
    expect(await refused((env) => (env.API_KEYS = 'lms:demo-api-key-0123456789abcdef'))).toMatch(
      /API_KEYS: key "lms" is a demo key/,
    );
  });

  it('refuses a missing PUBLIC_BASE_URL', async () => {
    expect(await refused((env) => delete env.PUBLIC_BASE_URL)).toMatch(/PUBLIC_BASE_URL must be set in production/);
  });

  it('refuses return origins that are only the loopback sandbox (the default)', async () => {
    expect(await refused((env) => delete env.ALLOWED_RETURN_ORIGINS)).toMatch(/ALLOWED_RETURN_ORIGINS must list/);
  });

  it('refuses a user token without its scope claims (401 naming them), and serves a scoped one', async () => {
    const gateway = await start(() => undefined);
    await gateway.waitHealthy();
    const secret = productionEnv(0, dir).LMS_JWT_SECRET;
    const me = async (token: string) => {
      const res = await fetch(`${gateway.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
      return { body: (await res.json()) as Record<string, unknown>, status: res.status };
    };
    const unscoped = await me(await userToken('teacher-1', 'teacher', { secret }));
    expect(unscoped.status).toBe(401);
    expect(unscoped.body).toMatchObject({ code: 'TOKEN_SCOPE_MISSING' });
    expect(unscoped.body.message).toMatch(/no "school_id", "city_id", "contexts" claims/);
    const noContexts = await me(await userToken('teacher-1', 'teacher', { scope: { contexts: undefined }, secret }));
    expect(noContexts).toMatchObject({
      body: { code: 'TOKEN_SCOPE_MISSING', message: expect.stringMatching(/no "contexts" claim:/) },
      status: 401,
    });
    const scoped = await me(await userToken('teacher-1', 'teacher', { scope: true, secret }));
    expect(scoped).toMatchObject({
      body: { contexts: ['course-21'], school_id: '00913', unscoped: false },
      status: 200,
    });
    await gateway.stop('SIGTERM');
  });

  it('starts with a complete production configuration, serves health, and logs no secret', async () => {
    const gateway = await start(() => undefined);
    await gateway.waitHealthy();
    const res = await fetch(`${gateway.url}/api/v1/me`, {
      headers: { Authorization: 'Bearer prod-key-7f3a9c1e5b2d4f6a8c0e' },
    });
    expect(res.status).toBe(200);
    await gateway.stop('SIGTERM');
    expect(gateway.output()).toMatch(/LMS Gateway listening/);
    const env = productionEnv(0, dir);
    assertNoSecrets(gateway.output(), secretsFromEnv(env), 'the production gateway output');
  });
});
