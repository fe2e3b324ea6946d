import request from 'supertest';

import { bazaarUser } from './bazaar-e2e.helpers';
import { RunningGateway, startGateway } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const expectErrorShape = (body: Record<string, unknown>, status: number, code: string) => {
  expect(body).toMatchObject({ code, statusCode: status });
  expect(typeof body.message).toBe('string');
  expect(typeof body.error).toBe('string');
  expect(body.request_id).toMatch(/^[\w.:-]{8,}$/);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
};

describe('platform (auth, errors, health, docs)', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ overrides: { AUTH_FAILURE_LIMIT: '5' } });
  });
  afterAll(() => gateway?.close());

  describe('authentication', () => {
    it('refuses a request without a token with 401 in the error shape', async () => {
      const res = await request(gateway.url).get('/api/v1/me').expect(401);
      expectErrorShape(res.body, 401, 'AUTH_MISSING');
      expect(res.headers['www-authenticate']).toContain('Bearer');
      expect(res.headers['x-request-id']).toBe(res.body.request_id);
    });

    it('refuses a bad API key', async () => {
      const res = await request(gateway.url).get('/api/v1/me').set(bearer('not-the-key-0123456789')).expect(401);
      expectErrorShape(res.body, 401, 'TOKEN_INVALID');
    });

    it('refuses an expired JWT', async () => {
      const token = await userToken('u1', 'teacher', { expiresIn: Math.floor(Date.now() / 1000) - 60 });
      const res = await request(gateway.url).get('/api/v1/me').set(bearer(token)).expect(401);
      expectErrorShape(res.body, 401, 'TOKEN_EXPIRED');
    });

    it('refuses a JWT signed with another secret, alg none, or a role outside the enum', async () => {
      const wrongKey = await userToken('u1', 'teacher', { secret: 'another-secret-another-secret-123456' });
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const claims = Buffer.from(
        JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, role: 'admin', sub: 'u1' }),
      ).toString('base64url');
      const badRole = await userToken('u1', 'superuser');
      for (const token of [wrongKey, `${header}.${claims}.`, badRole]) {
        const res = await request(gateway.url).get('/api/v1/me').set(bearer(token)).expect(401);
        expectErrorShape(res.body, 401, 'TOKEN_INVALID');
      }
    });

    it('accepts a good API key as a full-trust caller', async () => {
      const res = await request(gateway.url).get('/api/v1/me').set(bearer(TEST_API_KEY)).expect(200);
      expect(res.body).toEqual({ key_name: 'test', kind: 'api_key', role: 'admin' });
    });

    it('accepts a good user JWT and hands the handler its claims', async () => {
      const res = await request(gateway.url)
        .get('/api/v1/me')
        .set(bearer(await userToken('teacher-7', 'teacher')))
        .expect(200);
      expect(res.body).toEqual({ kind: 'user', role: 'teacher', unscoped: true, user_id: 'teacher-7' });
    });

    it('hands the handler the scope of a scoped user JWT', async () => {
      const res = await request(gateway.url)
        .get('/api/v1/me')
        .set(bearer(await userToken('teacher-7', 'teacher', { scope: { contexts: ['c-1', 42], email: undefined } })))
        .expect(200);
      expect(res.body).toEqual({
        city_id: '091',
        contexts: ['c-1', '42'],
        family_name: 'Öhman',
        given_name: 'Tiina',
        kind: 'user',
        role: 'teacher',
        school_id: '00913',
        unscoped: false,
        user_id: 'teacher-7',
      });
    });

    it('rate-limits repeated authentication failures from one address', async () => {
      const limited = await startGateway({ overrides: { AUTH_FAILURE_LIMIT: '3' } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await request(limited.url)
            .get('/api/v1/me')
            .set(bearer(`wrong-key-${i}-0123456789`));
          statuses.push(res.status);
        }
        expect(statuses.slice(0, 2)).toEqual([401, 401]);
        expect(statuses.slice(3)).toEqual([429, 429]);
        const blocked = await request(limited.url).get('/api/v1/me').set(bearer(TEST_API_KEY)).expect(429);
        expectErrorShape(blocked.body, 429, 'AUTH_RATE_LIMITED');
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      } finally {
        await limited.close();
      }
    });
  });

  describe('roles and validation on a real route', () => {
    const browse = {
      ...bazaarUser({ role: 'student', user_id: 'student-1' }),
      return_url: 'https://lms.example.edu/c/21',
    };

    it('answers 403 when the role in the token may not call the route', async () => {
      const res = await request(gateway.url)
        .post('/api/v1/bazaar/browse')
        .set(bearer(await userToken('student-1', 'student')))
        .send(browse)
        .expect(403);
      expectErrorShape(res.body, 403, 'ROLE_FORBIDDEN');
      expect(res.body.message).toMatch(/teacher or admin/);
    });

    it('answers 400 naming each bad field and its rule, and refuses unknown fields', async () => {
      const res = await request(gateway.url)
        .post('/api/v1/bazaar/browse')
        .set(bearer(TEST_API_KEY))
        .send({ ...browse, email: 'not-an-email', role: 'teacher', school_id: '12', unexpected: 1 })
        .expect(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.details.email.join()).toMatch(/email.*\(rule: isEmail\)/);
      expect(res.body.details.school_id.join()).toMatch(/school_id.*\(rule: /);
      expect(res.body.details.unexpected).toEqual(['unexpected is not an allowed field (rule: whitelist)']);
      expect(res.body.message).toMatch(/\(and \d+ more\)$/);
    });
  });

  describe('errors', () => {
    const browse = {
      ...bazaarUser({ role: 'teacher', user_id: 'teacher-1' }),
      return_url: 'https://lms.example.edu/c/21',
    };

    it('says "is required" for a missing field, before any other rule', async () => {
      const { context_title: _dropped, ...withoutTitle } = browse as Record<string, unknown>;
      const res = await request(gateway.url)
        .post('/api/v1/bazaar/browse')
        .set(bearer(TEST_API_KEY))
        .send({ ...withoutTitle, role: 'teacher' })
        .expect(400);
      expect(res.body.details.context_title).toEqual(['context_title is required (rule: isDefined)']);
      expect(res.body.message).toBe('context_title is required (rule: isDefined)');
    });

    it('answers a JSON body without Content-Type: application/json with 415 naming the header', async () => {
      const body = JSON.stringify({ ...browse, role: 'teacher' });
      for (const type of ['text/plain', undefined]) {
        const sent = request(gateway.url).post('/api/v1/bazaar/browse').set(bearer(TEST_API_KEY));
        const res = await (type ? sent.set('Content-Type', type) : sent.unset('Content-Type')).send(
          type ? body : Buffer.from(body),
        );
        expect({ status: res.status, type }).toEqual({ status: 415, type });
        expectErrorShape(res.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
        expect(res.body.message).toMatch(/^Content-Type must be application\/json/);
        expect(res.body.details['Content-Type']).toHaveLength(1);
      }
    });

    it('answers a wrong method on a known path with 405 and Allow', async () => {
      const put = await request(gateway.url).put('/api/v1/scorm/registrations').set(bearer(TEST_API_KEY)).expect(405);
      expectErrorShape(put.body, 405, 'METHOD_NOT_ALLOWED');
      expect(put.headers.allow).toBe('POST');
      const del = await request(gateway.url).delete('/health').expect(405);
      expect(del.headers.allow).toBe('GET, HEAD');
    });

    it('answers an unknown route with 404 in the error shape', async () => {
      const res = await request(gateway.url).get('/api/v1/nothing-here').set(bearer(TEST_API_KEY)).expect(404);
      expectErrorShape(res.body, 404, 'ROUTE_NOT_FOUND');
    });

    it('reuses a safe incoming X-Request-Id and replaces an unsafe one', async () => {
      const kept = await request(gateway.url).get('/health').set('X-Request-Id', 'lms-req-12345678').expect(200);
      expect(kept.headers['x-request-id']).toBe('lms-req-12345678');
      const replaced = await request(gateway.url).get('/health').set('X-Request-Id', 'bad id <script>').expect(200);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers malformed JSON with 400 MALFORMED_BODY, not 500', async () => {
      const res = await request(gateway.url)
        .post('/api/v1/me')
        .set(bearer(TEST_API_KEY))
        .set('Content-Type', 'application/json')
        .send('{"broken":')
        .expect(400);
      expectErrorShape(res.body, 400, 'MALFORMED_BODY');
    });

    it('answers a body over 1 MiB with 413', async () => {
      const res = await request(gateway.url)
        .post('/api/v1/me')
        .set(bearer(TEST_API_KEY))
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ big: 'x'.repeat(1024 * 1024 + 10) }))
        .expect(413);
      expectErrorShape(res.body, 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('health and docs', () => {
    it('reports liveness and database readiness without a token', async () => {
      await request(gateway.url).get('/health').expect(200, { status: 'ok' });
      const ready = await request(gateway.url).get('/health/ready').expect(200);
      expect(ready.body.info.database.status).toBe('up');
    });

    it('serves Swagger UI and an OpenAPI document listing the routes with the error shape', async () => {
      await request(gateway.url).get('/docs').expect(200).expect('Content-Type', /html/);
      const res = await request(gateway.url).get('/docs-json').expect(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready', '/api/v1/me']));
      expect(res.body.components.schemas.ApiErrorDto.required).toEqual(
        expect.arrayContaining(['statusCode', 'error', 'message', 'code', 'request_id']),
      );
      expect(res.body.paths['/api/v1/me'].get.responses['4XX']).toBeDefined();
      // The bearer scheme says what a user token carries and what binding refuses.
      const bearerScheme = res.body.components.securitySchemes.bearer.description as string;
      for (const words of [
        'school_id',
        'city_id',
        'contexts',
        'given_name',
        'TOKEN_SCOPE_MISSING',
        'CONTEXT_NOT_IN_TOKEN',
      ])
        expect(bearerScheme).toContain(words);
      const create = res.body.paths['/api/v1/scorm/registrations'].post;
      expect(create.responses['403'].description).toMatch(/CONTEXT_NOT_IN_TOKEN/);
      expect(create.responses['403'].content).toBeDefined();
    });

    it('sends security headers and allows CORS only from the configured origins', async () => {
      const allowed = await request(gateway.url)
        .options('/api/v1/me')
        .set('Origin', 'https://cloud.scorm.com')
        .set('Access-Control-Request-Method', 'GET');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://cloud.scorm.com');
      const denied = await request(gateway.url).get('/health').set('Origin', 'https://evil.example');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
      expect(denied.headers['x-content-type-options']).toBe('nosniff');
    });
  });
});

describe('start-up configuration', () => {
  it('refuses a DATABASE_URL that is neither SQLite nor PostgreSQL, naming the variable', async () => {
    await expect(startGateway({ overrides: { DATABASE_URL: 'mysql://root@127.0.0.1/test' } })).rejects.toThrow(
      /DATABASE_URL must be sqlite:<file path>/,
    );
  });

  it('refuses a PostgreSQL DATABASE_URL it cannot reach, saying so without the password', async () => {
    const error = await startGateway({ overrides: { DATABASE_URL: 'postgres://gw:hunter2@127.0.0.1:1/none' } }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /Cannot open the database at DATABASE_URL=postgres:\/\/gw:\*\*\*@127\.0\.0\.1:1\/none/,
    );
    expect((error as Error).message).not.toContain('hunter2');
  });
});
