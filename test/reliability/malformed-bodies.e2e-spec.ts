import { gzipSync } from 'node:zlib';

import { errorShapeProblem, rawRequest } from '../support/raw-http';
import { RunningGateway, startGateway } from '../support/stack';
import { TEST_API_KEY } from '../support/tokens';

/** Regressions the fuzzer found: each of these answered a bare 500 before. */
describe('malformed bodies answer 4xx in the error shape', () => {
  let gateway: RunningGateway;
  const auth = { Authorization: `Bearer ${TEST_API_KEY}` };

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it.each([
    ['an array nested 50 000 deep', '['.repeat(50_000) + ']'.repeat(50_000)],
    ['an object nested 2 000 deep', '{"a":'.repeat(2000) + '1' + '}'.repeat(2000)],
  ])('refuses %s with 400 BODY_TOO_DEEP', async (_label, body) => {
    const res = await rawRequest(gateway.url, {
      body,
      headers: { ...auth, 'Content-Type': 'application/json' },
      method: 'POST',
      path: '/api/v1/scorm/token',
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'BODY_TOO_DEEP' });
    expect(errorShapeProblem(res)).toBeUndefined();
  });

  it.each([
    ['gzip', Buffer.from('not gzip at all')],
    ['deflate', gzipSync('{}')],
  ])('refuses a corrupt %s body with 400 MALFORMED_BODY', async (encoding, body) => {
    const res = await rawRequest(gateway.url, {
      body,
      headers: { ...auth, 'Content-Encoding': encoding, 'Content-Type': 'application/json' },
      method: 'POST',
      path: '/api/v1/scorm/token',
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'MALFORMED_BODY' });
    expect(errorShapeProblem(res)).toBeUndefined();
  });

  it('answers a U+0000 in a path, query or body with a 4xx in the error shape, never 500 (PostgreSQL cannot store it)', async () => {
    const basic = `Basic ${Buffer.from(`${gateway.env.WEBHOOK_USERNAME}:${gateway.env.WEBHOOK_PASSWORD}`).toString('base64')}`;
    const json = (body: unknown, headers: Record<string, string> = auth) => ({
      body: JSON.stringify(body),
      headers: { ...headers, 'Content-Type': 'application/json' },
    });
    const cases: [string, Parameters<typeof rawRequest>[1]][] = [
      ['registration path', { headers: auth, method: 'GET', path: '/api/v1/scorm/registrations/a%00b' }],
      ['materials path', { headers: auth, method: 'GET', path: '/api/v1/contexts/a%00b/materials' }],
      ['events query', { headers: auth, method: 'GET', path: '/api/v1/webhooks/events?registration_id=a%00b' }],
      [
        'postback (fast path)',
        {
          ...json({ id: 'a\u0000b', updated: '2026-11-22T10:00:00Z' }, { Authorization: basic }),
          method: 'POST',
          path: '/api/results',
        },
      ],
      [
        'postback (regular route)',
        {
          ...json({ id: 'a\u0000c', updated: '2026-11-22T10:00:00Z' }, { Authorization: basic }),
          method: 'POST',
          path: '/api/results/',
        },
      ],
    ];
    for (const [label, request] of cases) {
      const res = await rawRequest(gateway.url, request);
      expect({ label, status: res.status < 500 ? 'below 500' : res.status }).toEqual({ label, status: 'below 500' });
      if (res.status >= 400) expect({ label, problem: errorShapeProblem(res) }).toEqual({ label, problem: undefined });
    }
  });

  it('answers an over-long header block with 431 in the error shape, not an empty body', async () => {
    const res = await rawRequest(gateway.url, {
      headers: { ...auth, 'X-Padding': 'p'.repeat(20_000) },
      method: 'GET',
      path: '/api/v1/me',
    });
    expect(res.status).toBe(431);
    expect(res.json).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
    expect(errorShapeProblem(res)).toBeUndefined();
  });

  it('still accepts a well-formed gzip body and modest nesting', async () => {
    const res = await rawRequest(gateway.url, {
      body: gzipSync(JSON.stringify({ a: { b: { c: [[[1]]] } } })),
      headers: { ...auth, 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
      method: 'GET',
      path: '/api/v1/me',
    });
    expect(res.status).toBe(200);
  });
});
