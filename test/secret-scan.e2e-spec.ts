import { readFileSync } from 'node:fs';
import request from 'supertest';

import { RunningGateway, startGateway } from './support/stack';
import { scanForSecrets, secretsFromEnv } from './support/secret-scan';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

/** The scan every test gateway runs on close is only worth something if it sees the logs and finds leaks. */
describe('secret scan of captured gateway logs', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('captures debug-level request logs of the in-process gateway into its own file', async () => {
    expect(gateway.logFile).toBeDefined();
    await request(gateway.url).get('/api/v1/me').set(bearer(TEST_API_KEY)).expect(200);
    await request(gateway.url)
      .get('/api/v1/me?state=abcdef0123456789&token=xyz0123456789')
      .set(bearer(await userToken('u1', 'teacher')))
      .expect(200);
    const logs = readFileSync(gateway.logFile!, 'utf8');
    expect(logs).toMatch(/"url":"\/api\/v1\/me"/);
    expect(logs).toContain('state=%5BRedacted%5D');
    expect(scanForSecrets(logs, secretsFromEnv(gateway.env))).toEqual([]);
  });

  it('finds every configured secret, its encodings, tokens and unredacted single-use values', async () => {
    const secrets = secretsFromEnv(gateway.env);
    const jwt = await userToken('u1', 'admin');
    const basic = Buffer.from(`${gateway.env.WEBHOOK_USERNAME}:${gateway.env.WEBHOOK_PASSWORD}`).toString('base64');
    const planted = [
      `{"msg":"key ${TEST_API_KEY}"}`,
      `{"msg":"${gateway.env.LMS_JWT_SECRET}"}`,
      `{"msg":"${gateway.env.BAZAAR_SECRET_KEY}"}`,
      `{"msg":"${gateway.env.SCORM_SECRET_KEY}"}`,
      `{"msg":"password=${gateway.env.WEBHOOK_PASSWORD}"}`,
      `{"authorization":"Basic ${basic}"}`,
      `{"token":"${jwt}"}`,
      `{"url":"/api/v1/bazaar/callbacks/add?state=0f3c9a1b2c3d4e5f"}`,
      `{"key":"${readFileSync(gateway.env.SCORM_PRIVATE_KEY_PATH, 'utf8').split('\n')[3]}"}`,
      '{"key":"-----BEGIN PRIVATE KEY-----"}',
    ];
    for (const line of planted) expect(scanForSecrets(line, secrets).length).toBeGreaterThan(0);
    const hits = scanForSecrets(planted.join('\n'), secrets);
    expect(new Set(hits.map((hit) => hit.line)).size).toBe(planted.length);
    for (const hit of hits) expect(hit.excerpt).not.toContain(TEST_API_KEY);
  });
});
