import { PostbackTokenService, RegistrationProgressService } from '@app/scorm-cloud';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { rawRequest } from './support/raw-http';
import { insertRegistration } from './support/registrations';
import { RunningGateway, TEST_SECRETS, startGateway } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const WRONG_BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:nope`).toString('base64')}`;
const ROUTES = ['/api/results', '/api/v1/webhooks/scorm-cloud'];

/** A v2 RegistrationSchema as SCORM Cloud posts it (FULL results format, trimmed to what matters). */
function v2(id: string, updated: string, extra: Record<string, unknown> = {}) {
  return {
    activityDetails: { activityCompletion: 'COMPLETED', id: 'act-1', title: 'Safety 101' },
    completedDate: updated,
    course: { id: 'course-1', title: 'Safety 101', version: 0 },
    createdDate: '2026-11-22T09:58:00.000Z',
    firstAccessDate: '2026-11-22T10:00:00.000Z',
    id,
    instance: 0,
    lastAccessDate: updated,
    learner: { firstName: 'Aino', id: 'learner-9', lastName: 'Virtanen' },
    registrationCompletion: 'COMPLETED',
    registrationCompletionAmount: 1,
    registrationSuccess: 'PASSED',
    score: { scaled: 85 },
    totalSecondsTracked: 342,
    updated,
    ...extra,
  };
}

const report = (regid: string, complete = 'complete', score = '85') =>
  `<registrationreport format="course" regid="${regid}" instanceid="0"><complete>${complete}</complete>` +
  `<success>passed</success><totaltime>342</totaltime><score>${score}</score></registrationreport>`;

describe('results webhook', () => {
  let gateway: RunningGateway;
  let db: DataSource;
  let tokens: PostbackTokenService;

  const count = async (registrationId?: string): Promise<number> => {
    const rows = (await db.query(
      registrationId
        ? `SELECT COUNT(*) AS n FROM webhook_events WHERE registration_id = ${db.options.type === 'postgres' ? '$1' : '?'}`
        : 'SELECT COUNT(*) AS n FROM webhook_events',
      registrationId ? [registrationId] : [],
    )) as { n: string | number }[];
    return Number(rows[0].n);
  };
  const progressOf = async (id: string) =>
    (await gateway.app.get(RegistrationProgressService).progressOf([id])).get(id)?.[0];
  const register = (id: string) => insertRegistration(gateway, id);
  const postJson = (route: string, body: unknown, auth = BASIC) =>
    request(gateway.url)
      .post(route)
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  beforeAll(async () => {
    gateway = await startGateway({ overrides: { WEBHOOK_RECONCILE_INTERVAL_MS: '0' } });
    db = gateway.app.get(DataSource);
    tokens = gateway.app.get(PostbackTokenService);
  });
  afterAll(() => gateway?.close());

  describe('the five shapes', () => {
    it('stores a v2 JSON postback with basic auth and a matching token, and applies its progress', async () => {
      const id = await register('reg-v2-json');
      const token = await tokens.sign(id);
      const res = await postJson(`/api/v1/webhooks/scorm-cloud?token=${token}`, v2(id, '2026-11-22T10:15:30.000Z'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ duplicate: false, outcome: 'applied', registration_id: id, status: 'success' });
      expect(await count(id)).toBe(1);
      expect(await progressOf(id)).toMatchObject({
        completion: 'COMPLETED',
        score: 85,
        success: 'PASSED',
        totalSeconds: 342,
      });
    });

    it('stores a v2 form postback (data, userName, password) without keeping the password', async () => {
      const id = await register('reg-v2-form');
      const res = await request(gateway.url)
        .post(`/api/results?token=${await tokens.sign(id)}`)
        .type('form')
        .send({
          data: JSON.stringify(v2(id, '2026-11-22T11:00:00.000Z')),
          password: TEST_SECRETS.webhookPassword,
          userName: TEST_SECRETS.webhookUsername,
        })
        .expect(200);
      expect(res.body.outcome).toBe('applied');
      const events = await request(gateway.url)
        .get(`/api/v1/webhooks/events?registration_id=${id}`)
        .set(bearer(TEST_API_KEY))
        .expect(200);
      expect(events.body.items).toHaveLength(1);
      expect(events.body.items[0]).toMatchObject({ auth_method: 'form', shape: 'v2_form', token_verified: true });
      expect(events.body.items[0].raw_body).toContain('userName=');
      expect(JSON.stringify(events.body)).not.toContain(TEST_SECRETS.webhookPassword);
    });

    it('never stores the webhook password, even when a JSON body echoes it', async () => {
      const id = await register('reg-echo');
      const body = { ...v2(id, '2026-11-22T11:05:00.000Z'), postBack: { password: TEST_SECRETS.webhookPassword } };
      await postJson('/api/results', body).expect(200);
      const events = await request(gateway.url)
        .get(`/api/v1/webhooks/events?registration_id=${id}`)
        .set(bearer(TEST_API_KEY))
        .expect(200);
      expect(events.body.items[0].raw_body).toContain('"password":"[Redacted]"');
      expect(JSON.stringify(events.body)).not.toContain(TEST_SECRETS.webhookPassword);
    });

    it('stores a v1 form postback whose data is a <registrationreport> wrapped in <rsp>', async () => {
      const id = await register('reg-v1-form');
      await request(gateway.url)
        .post('/api/v1/webhooks/scorm-cloud')
        .type('form')
        .send({
          data: `<?xml version="1.0" encoding="utf-8"?><rsp stat="ok">${report(id)}</rsp>`,
          password: TEST_SECRETS.webhookPassword,
          username: TEST_SECRETS.webhookUsername,
        })
        .expect(200, { duplicate: false, outcome: 'applied', registration_id: id, status: 'success' });
      expect(await progressOf(id)).toMatchObject({ completion: 'COMPLETED', score: 85, success: 'PASSED' });
    });

    it('stores a v1 XML body with basic auth', async () => {
      const id = await register('reg-v1-xml');
      await request(gateway.url)
        .post(`/api/results?token=${await tokens.sign(id)}`)
        .set('Authorization', BASIC)
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(report(id, 'incomplete', 'unknown'))
        .expect(200);
      expect(await progressOf(id)).toMatchObject({ completion: 'INCOMPLETE', score: null });
    });

    it("stores the webhook guide's GET query form", async () => {
      const id = await register('reg-get');
      const query = new URLSearchParams({
        completion: 'completed',
        password: TEST_SECRETS.webhookPassword,
        registration_id: id,
        score: '70',
        success: 'failed',
        total_seconds: '120',
        updated: '2026-11-22T12:00:00.000Z',
        username: TEST_SECRETS.webhookUsername,
      });
      const res = await request(gateway.url).get(`/api/results?${query}`).expect(200);
      expect(res.body.outcome).toBe('applied');
      expect(await progressOf(id)).toMatchObject({ completion: 'COMPLETED', score: 70, success: 'FAILED' });
      const [event] = (
        await request(gateway.url).get(`/api/v1/webhooks/events?registration_id=${id}`).set(bearer(TEST_API_KEY))
      ).body.items;
      expect(event).toMatchObject({ content_type: null, method: 'GET', shape: 'query' });
      expect(event.raw_body).not.toContain('password');
    });
  });

  it('answers every shape on both paths with 200, never a redirect', async () => {
    const id = await register('reg-both-paths');
    let minute = 10;
    for (const route of ROUTES) {
      const json = await postJson(route, v2(id, `2026-11-22T13:${minute++}:00.000Z`));
      const xml = await request(gateway.url)
        .post(route)
        .set('Authorization', BASIC)
        .set('Content-Type', 'application/xml')
        .send(report(id).replace('instanceid="0"', `instanceid="${minute++}"`));
      const query = await request(gateway.url).get(
        `${route}?regid=${id}&completion=incomplete&updated=2026-11-22T13:${minute++}:00Z` +
          `&username=${TEST_SECRETS.webhookUsername}&password=${TEST_SECRETS.webhookPassword}`,
      );
      expect([json.status, xml.status, query.status]).toEqual([200, 200, 200]);
    }
    expect(await count(id)).toBe(6);
  });

  describe('authentication', () => {
    it('refuses missing or wrong credentials, a foreign token and a bad token with 401, storing nothing', async () => {
      const id = await register('reg-auth');
      const other = await register('reg-auth-other');
      const body = v2(id, '2026-11-22T10:15:30.000Z');
      const attempts = [
        request(gateway.url).post('/api/results').set('Content-Type', 'application/json').send(JSON.stringify(body)),
        postJson('/api/results', body, WRONG_BASIC),
        postJson(`/api/results?token=${await tokens.sign(other)}`, body),
        postJson('/api/results?token=not.a.token', body),
        request(gateway.url)
          .post('/api/results')
          .type('form')
          .send({ data: JSON.stringify(body), password: 'guess', userName: TEST_SECRETS.webhookUsername }),
        request(gateway.url).get(`/api/results?registration_id=${id}&completion=completed`),
      ];
      const codes = [];
      for (const attempt of attempts) {
        const res = await attempt;
        expect(res.status).toBe(401);
        expect(res.body.request_id).toBe(res.headers['x-request-id']);
        // Both the fast path (JSON) and the regular route (form, GET) ask for the postback's own scheme.
        expect(res.headers['www-authenticate']).toBe('Basic realm="scorm-cloud-postback"');
        codes.push(res.body.code);
      }
      expect(codes).toEqual([
        'WEBHOOK_CREDENTIALS_INVALID',
        'WEBHOOK_CREDENTIALS_INVALID',
        'POSTBACK_TOKEN_MISMATCH',
        'POSTBACK_TOKEN_INVALID',
        'WEBHOOK_CREDENTIALS_INVALID',
        'WEBHOOK_CREDENTIALS_INVALID',
      ]);
      expect(await count(id)).toBe(0);
      expect(await progressOf(id)).toBeUndefined();
    });
    it('answers a postback without credentials 401 whatever its body, before reading it', async () => {
      const bodies: [string, string][] = [
        ['application/json', '{}'],
        ['application/json', '{not json'],
        ['text/xml', '<broken'],
        ['application/x-www-form-urlencoded', 'nothing=here'],
        ['text/plain', '{}'],
      ];
      const stored = await count();
      for (const route of ROUTES) {
        for (const [type, body] of bodies) {
          const res = await request(gateway.url).post(route).set('Content-Type', type).send(body);
          expect({ code: res.body.code, route, status: res.status, type }).toEqual({
            code: 'WEBHOOK_CREDENTIALS_INVALID',
            route,
            status: 401,
            type,
          });
        }
      }
      expect(await count()).toBe(stored);
    });
  });

  describe('failed-authentication limit', () => {
    it('answers 429 with Retry-After once one address has failed too often, on both routes, others unaffected', async () => {
      const limited = await startGateway({
        overrides: { AUTH_FAILURE_LIMIT: '3', WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
      });
      try {
        const from = (address: string, auth: string, route = '/api/results') =>
          request(limited.url)
            .post(route)
            .set('X-Forwarded-For', address)
            .set('Authorization', auth)
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(v2('reg-limit', '2026-11-22T10:00:00.000Z')));
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await from('203.0.113.9', WRONG_BASIC)).status);
        expect(statuses.slice(0, 2)).toEqual([401, 401]);
        expect(statuses.slice(3)).toEqual([429, 429]);
        const blocked = await from('203.0.113.9', BASIC).expect(429);
        expect(blocked.body.code).toBe('AUTH_RATE_LIMITED');
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
        const viaForm = await request(limited.url)
          .post('/api/v1/webhooks/scorm-cloud')
          .set('X-Forwarded-For', '203.0.113.9')
          .type('form')
          .send({ data: '{}', password: TEST_SECRETS.webhookPassword, userName: TEST_SECRETS.webhookUsername });
        expect(viaForm.status).toBe(429);
        // The regular route tells the time really left, as the fast path does, not a fixed minute.
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const later = await from('203.0.113.9', BASIC).expect(429);
        const laterForm = await request(limited.url)
          .get(`/api/results?regid=reg-limit&completion=completed`)
          .set('X-Forwarded-For', '203.0.113.9')
          .expect(429);
        expect(Number(later.headers['retry-after'])).toBeLessThan(60);
        expect(
          Math.abs(Number(laterForm.headers['retry-after']) - Number(later.headers['retry-after'])),
        ).toBeLessThanOrEqual(1);
        await from('203.0.113.10', BASIC).expect(200);
      } finally {
        await limited.close();
      }
    });

    it('ignores X-Forwarded-For with TRUST_PROXY=off: a client cannot name a fresh address per attempt', async () => {
      const direct = await startGateway({
        overrides: { AUTH_FAILURE_LIMIT: '2', TRUST_PROXY: 'off', WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
      });
      try {
        const postback = (address: string, route: string) =>
          request(direct.url)
            .post(route)
            .set('X-Forwarded-For', address)
            .set('Authorization', WRONG_BASIC)
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(v2('reg-direct', '2026-11-22T10:00:00.000Z')));
        const statuses = [
          (await postback('198.51.100.1', '/api/results')).status,
          (await postback('198.51.100.2', '/api/results')).status,
          (await request(direct.url).get('/api/v1/me').set('X-Forwarded-For', '198.51.100.3').set(bearer('a.b.c')))
            .status,
          (await postback('198.51.100.4', '/api/results/')).status,
        ];
        expect(statuses).toEqual([401, 401, 429, 429]);
      } finally {
        await direct.close();
      }
    });
  });

  describe('delivery semantics', () => {
    it('stores a repeated delivery once and still answers 200', async () => {
      const id = await register('reg-dup');
      const body = v2(id, '2026-11-22T10:20:00.000Z');
      const first = await postJson('/api/results', body).expect(200);
      const again = await postJson('/api/results', body).expect(200);
      // Same registration, instance and update time in another shape is the same postback too.
      const asForm = await request(gateway.url)
        .post('/api/v1/webhooks/scorm-cloud')
        .type('form')
        .send({
          data: JSON.stringify({ ...body, totalSecondsTracked: 343 }),
          password: TEST_SECRETS.webhookPassword,
          userName: TEST_SECRETS.webhookUsername,
        })
        .expect(200);
      expect([first.body.duplicate, again.body.duplicate, asForm.body.duplicate]).toEqual([false, true, true]);
      expect(await count(id)).toBe(1);
    });

    it('stores a repeated v1 report without an update time once (same body), and a changed one again', async () => {
      const id = await register('reg-dup-v1');
      const post = (xml: string) =>
        request(gateway.url).post('/api/results').set('Authorization', BASIC).set('Content-Type', 'text/xml').send(xml);
      const answers = [await post(report(id)), await post(report(id)), await post(report(id, 'complete', '95'))];
      expect(answers.map((res) => [res.status, res.body.duplicate])).toEqual([
        [200, false],
        [200, true],
        [200, false],
      ]);
      expect(await count(id)).toBe(2);
    });

    it('takes a gzip-compressed postback through the regular route (body-parser inflates it)', async () => {
      const id = await register('reg-gzip');
      const res = await rawRequest(gateway.url, {
        body: gzipSync(JSON.stringify(v2(id, '2026-11-22T10:40:00.000Z'))),
        headers: { Authorization: BASIC, 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
        method: 'POST',
        path: '/api/results',
      });
      expect({ body: res.json, status: res.status }).toEqual({
        body: { duplicate: false, outcome: 'applied', registration_id: id, status: 'success' },
        status: 200,
      });
      expect(await count(id)).toBe(1);
    });

    it('stores concurrent duplicates once', async () => {
      const id = await register('reg-dup-burst');
      const body = v2(id, '2026-11-22T10:21:00.000Z');
      const answers = await Promise.all(Array.from({ length: 8 }, () => postJson('/api/results', body)));
      expect(answers.map((res) => res.status)).toEqual(Array(8).fill(200));
      expect(answers.filter((res) => !res.body.duplicate)).toHaveLength(1);
      expect(await count(id)).toBe(1);
    });

    it('never lets an older postback overwrite newer progress', async () => {
      const id = await register('reg-order');
      await postJson('/api/results', v2(id, '2026-11-22T10:30:00.000Z', { score: { scaled: 90 } })).expect(200);
      const older = await postJson(
        '/api/results',
        v2(id, '2026-11-22T10:10:00.000Z', {
          registrationCompletion: 'INCOMPLETE',
          registrationSuccess: 'UNKNOWN',
          score: { scaled: 20 },
        }),
      ).expect(200);
      expect(older.body).toMatchObject({ duplicate: false, outcome: 'stale' });
      expect(await progressOf(id)).toMatchObject({ completion: 'COMPLETED', score: 90 });
      expect(await count(id)).toBe(2);
    });

    it('takes a postback for a new instance as the latest, keeping the earlier one, and orders each by its own time', async () => {
      const id = await register('reg-new-instance');
      await postJson('/api/results', v2(id, '2026-11-22T11:00:00.000Z', { score: { scaled: 40 } })).expect(200);
      const next = await postJson(
        '/api/results',
        v2(id, '2026-11-22T11:30:00.000Z', { instance: 1, score: { scaled: 95 } }),
      ).expect(200);
      expect(next.body).toMatchObject({ duplicate: false, outcome: 'applied' });
      const olderFirst = await postJson(
        '/api/results',
        v2(id, '2026-11-22T10:50:00.000Z', { score: { scaled: 10 } }),
      ).expect(200);
      expect(olderFirst.body.outcome).toBe('stale');
      const view = await request(gateway.url)
        .get(`/api/v1/scorm/registrations/${id}`)
        .set(bearer(TEST_API_KEY))
        .expect(200);
      expect(view.body.progress).toMatchObject({ instance: 1, score: 95 });
      expect(view.body.instances.map((row: { instance: number; score: number }) => [row.instance, row.score])).toEqual([
        [0, 40],
        [1, 95],
      ]);
    });

    it('applies a burst of out-of-order postbacks for one registration as if in order: the newest wins', async () => {
      const id = await register('reg-burst-order');
      const minutes = [12, 3, 40, 7, 40, 25, 1, 33];
      const answers = await Promise.all(
        minutes.map((minute, i) =>
          postJson(
            '/api/results',
            v2(id, `2026-11-22T12:${String(minute).padStart(2, '0')}:00.000Z`, { score: { scaled: i } }),
          ),
        ),
      );
      expect(answers.map((res) => res.status)).toEqual(Array(minutes.length).fill(200));
      // The two 12:40 deliveries are one postback: one stored, one duplicate.
      expect(answers.filter((res) => res.body.duplicate)).toHaveLength(1);
      expect(await count(id)).toBe(minutes.length - 1);
      expect(await progressOf(id)).toMatchObject({ progressUpdatedAt: new Date('2026-11-22T12:40:00.000Z') });
      const newest = answers.filter((res, i) => minutes[i] === 40 && !res.body.duplicate);
      expect(newest.map((res) => res.body.outcome)).toEqual(['applied']);
    });

    it('stores and flags a postback for a registration the gateway does not know, answering 200', async () => {
      const res = await postJson('/api/results', v2('reg-nobody-knows', '2026-11-22T10:00:00.000Z')).expect(200);
      expect(res.body.outcome).toBe('unknown_registration');
      const page = await request(gateway.url)
        .get('/api/v1/webhooks/events?registration_id=reg-nobody-knows')
        .set(bearer(TEST_API_KEY))
        .expect(200);
      expect(page.body.items[0]).toMatchObject({ outcome: 'unknown_registration', unknown_registration: true });
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON or XML, a wrong content type, a missing data field or a huge body with 4xx, storing nothing', async () => {
      const id = await register('reg-bad');
      const before = await count();
      const cases: [request.Test, number, string][] = [
        [
          request(gateway.url)
            .post('/api/results')
            .set('Authorization', BASIC)
            .set('Content-Type', 'application/json')
            .send(`{"id":"${id}",`),
          400,
          'POSTBACK_MALFORMED_JSON',
        ],
        [
          request(gateway.url)
            .post('/api/results')
            .set('Authorization', BASIC)
            .set('Content-Type', 'text/xml')
            .send(`<registrationreport regid="${id}"><complete>`),
          400,
          'POSTBACK_MALFORMED_XML',
        ],
        [
          request(gateway.url)
            .post('/api/results')
            .type('form')
            .send({ data: '{"id":', password: TEST_SECRETS.webhookPassword, username: TEST_SECRETS.webhookUsername }),
          400,
          'POSTBACK_MALFORMED_JSON',
        ],
        [
          request(gateway.url)
            .post('/api/results')
            .set('Authorization', BASIC)
            .set('Content-Type', 'text/csv')
            .send(`id\n${id}`),
          415,
          'POSTBACK_UNSUPPORTED_MEDIA_TYPE',
        ],
        [
          request(gateway.url)
            .post('/api/results')
            .type('form')
            .send({ password: TEST_SECRETS.webhookPassword, username: TEST_SECRETS.webhookUsername }),
          400,
          'POSTBACK_DATA_MISSING',
        ],
        [
          postJson('/api/results', { ...v2(id, '2026-11-22T10:00:00.000Z'), pad: 'x'.repeat(1024 * 1024) }),
          413,
          'PAYLOAD_TOO_LARGE',
        ],
        [
          postJson('/api/results', { ...v2(id, '2026-11-22T10:00:00.000Z'), registrationCompletion: 'DONE' }),
          400,
          'POSTBACK_INVALID',
        ],
        [
          // Past a 32-bit integer (68 years): PostgreSQL's integer column refused it with a 500.
          postJson('/api/results', { ...v2(id, '2026-11-22T10:00:00.000Z'), totalSecondsTracked: 3e9 }),
          400,
          'POSTBACK_INVALID',
        ],
        [
          // An expanded year does not fit the ISO timestamp columns: PostgreSQL refused it with a 500.
          postJson('/api/results', {
            ...v2(id, '2026-11-22T10:00:00.000Z'),
            lastAccessDate: '+275760-09-13T00:00:00Z',
          }),
          400,
          'POSTBACK_INVALID',
        ],
        [
          request(gateway.url)
            .post('/api/results')
            .set('Authorization', BASIC)
            .set('Content-Type', 'application/xml')
            .send('<!DOCTYPE x [<!ENTITY a "b">]><registrationreport regid="&a;"/>'),
          400,
          'POSTBACK_MALFORMED_XML',
        ],
        [
          // Dated ahead of now, it would outrank every later correction from the API.
          postJson('/api/results', v2(id, new Date(Date.now() + 3600_000).toISOString())),
          400,
          'POSTBACK_INVALID',
        ],
      ];
      for (const [req, status, code] of cases) {
        const res = await req;
        expect({ code: res.body.code, status: res.status }).toEqual({ code, status });
        expect(typeof res.body.message).toBe('string');
      }
      expect(await count()).toBe(before);
    });

    it('refuses a postback nesting deeper than 64 levels with 400 BODY_TOO_DEEP on every route, storing nothing', async () => {
      const id = await register('reg-deep');
      const deep = '['.repeat(100) + ']'.repeat(100);
      for (const path of [...ROUTES, '/api/results/']) {
        const body = JSON.stringify(v2(id, '2026-11-22T12:00:00.000Z')).replace(/}$/, `,"extra":${deep}}`);
        const res = await rawRequest(gateway.url, {
          body,
          headers: { Authorization: BASIC, 'Content-Type': 'application/json' },
          method: 'POST',
          path,
        });
        expect({ code: res.json?.code, path, status: res.status }).toEqual({
          code: 'BODY_TOO_DEEP',
          path,
          status: 400,
        });
      }
      expect(await count(id)).toBe(0);
    });

    it('refuses a JSON postback in a charset other than UTF-8 with 415 on every route, as body-parser does', async () => {
      const id = await register('reg-charset');
      const send = (path: string, contentType: string, updated: string) =>
        rawRequest(gateway.url, {
          body: JSON.stringify(v2(id, updated)),
          headers: { Authorization: BASIC, 'Content-Type': contentType },
          method: 'POST',
          path,
        });
      // The fast path serves the exact routes; a trailing slash goes through Express and body-parser.
      for (const path of [...ROUTES, '/api/results/']) {
        const res = await send(path, 'application/json; charset=latin1', '2026-11-22T12:00:00.000Z');
        expect({ code: res.json?.code, path, status: res.status }).toEqual({
          code: 'UNSUPPORTED_CHARSET',
          path,
          status: 415,
        });
      }
      expect(await count(id)).toBe(0);
      const utf8 = await send('/api/results', 'application/json; charset="UTF-8"', '2026-11-22T12:01:00.000Z');
      expect({ outcome: utf8.json?.outcome, status: utf8.status }).toEqual({ outcome: 'applied', status: 200 });
    });
  });

  it('documents the postback and events routes in the OpenAPI document', async () => {
    const { body } = await request(gateway.url).get('/docs-json').expect(200);
    for (const route of ROUTES) expect(Object.keys(body.paths[route])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(body.paths['/api/v1/webhooks/events'].get.responses['200']).toBeDefined();
    expect(body.components.schemas.WebhookEventDto.properties).not.toHaveProperty('password');
  });

  describe('GET /api/v1/webhooks/events', () => {
    it('lists postbacks newest first with paging and a registration filter, for admins only', async () => {
      const id = await register('reg-list');
      for (const minute of [10, 11, 12])
        await postJson('/api/results', v2(id, `2026-11-22T10:${minute}:00.000Z`)).expect(200);
      const first = await request(gateway.url)
        .get(`/api/v1/webhooks/events?registration_id=${id}&limit=2`)
        .set(bearer(TEST_API_KEY))
        .expect(200);
      expect(first.body).toMatchObject({ limit: 2, next_cursor: expect.any(String) });
      expect(first.body).not.toHaveProperty('total');
      expect(first.body.items.map((e: { updated: string }) => e.updated)).toEqual([
        '2026-11-22T10:12:00.000Z',
        '2026-11-22T10:11:00.000Z',
      ]);
      const second = await request(gateway.url)
        .get(`/api/v1/webhooks/events?registration_id=${id}&limit=2&cursor=${first.body.next_cursor}`)
        .set(bearer(await userToken('admin-1', 'admin')))
        .expect(200);
      expect(second.body.items.map((e: { updated: string }) => e.updated)).toEqual(['2026-11-22T10:10:00.000Z']);
      expect(second.body.next_cursor).toBeNull();
      // The deprecated offset paging still answers, with its total.
      const legacy = await request(gateway.url)
        .get(`/api/v1/webhooks/events?registration_id=${id}&limit=2&offset=2`)
        .set(bearer(TEST_API_KEY))
        .expect(200);
      expect(legacy.body).toMatchObject({ limit: 2, offset: 2, total: 3 });
      expect(legacy.body.items.map((e: { updated: string }) => e.updated)).toEqual(['2026-11-22T10:10:00.000Z']);
      await request(gateway.url)
        .get('/api/v1/webhooks/events')
        .set(bearer(await userToken('s-1', 'student')))
        .expect(403);
      await request(gateway.url)
        .get('/api/v1/webhooks/events')
        .set(bearer(await userToken('t-1', 'teacher')))
        .expect(403);
      await request(gateway.url).get('/api/v1/webhooks/events').expect(401);
      await request(gateway.url).get('/api/v1/webhooks/events?limit=0').set(bearer(TEST_API_KEY)).expect(400);
    });

    it('refuses an offset beyond the safe integers with 400 naming it (1e20 reached the SQL as "1e+20")', async () => {
      for (const offset of ['1e20', '99999999999999999999']) {
        const res = await request(gateway.url)
          .get(`/api/v1/webhooks/events?offset=${offset}`)
          .set(bearer(TEST_API_KEY));
        expect({ code: res.body.code, field: Object.keys(res.body.details ?? {}), status: res.status }).toEqual({
          code: 'VALIDATION_FAILED',
          field: ['offset'],
          status: 400,
        });
      }
    });
  });
});
