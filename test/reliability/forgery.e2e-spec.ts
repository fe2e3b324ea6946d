import { KeyLike, SignJWT, generateKeyPair, importPKCS8 } from 'jose';
import { readFileSync } from 'node:fs';

import { base64Json, bazaarUser, browse, materialsOf, newSession, postForm } from '../bazaar-e2e.helpers';
import { listOperations } from '../fuzz/openapi-operations';
import { countChanges } from '../support/database-inspector';
import { HOSTILE_TRAFFIC_OVERRIDES, InspectedStack, startInspectedStack } from '../support/inspected-stack';
import { errorShapeProblem, rawRequest } from '../support/raw-http';
import { insertRegistration } from '../support/registrations';
import { sandboxRequestCount } from '../support/sandbox-faults';
import { TEST_SECRETS } from '../support/stack';
import { TEST_API_KEY, TEST_JWT_SECRET, userToken } from '../support/tokens';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;

/**
 * The consolidated adversarial suite: forged and replayed credentials, tokens, states and return URLs against
 * one stack. Each attempt is refused and leaves every table exactly as it was.
 */
describe('forgery and replay are refused and store nothing', () => {
  let stack: InspectedStack;

  beforeAll(async () => {
    stack = await startInspectedStack({ gatewayOverrides: HOSTILE_TRAFFIC_OVERRIDES });
  });
  afterAll(() => stack?.close());

  /** Runs `attempt`, asserting the database is byte-for-byte unchanged afterwards. */
  async function unchanged<T>(attempt: () => Promise<T>): Promise<T> {
    const before = await stack.db.fingerprint();
    const result = await attempt();
    expect(countChanges(before, await stack.db.fingerprint())).toEqual([]);
    return result;
  }

  describe('LMS user JWTs', () => {
    const forged = async (): Promise<Record<string, string>> => {
      const publicPem = readFileSync(stack.gateway.env.SCORM_PUBLIC_KEY_PATH, 'utf8');
      const privateKey = await importPKCS8(readFileSync(stack.gateway.env.SCORM_PRIVATE_KEY_PATH, 'utf8'), 'RS256');
      const claims = { exp: now() + 600, role: 'admin', sub: 'mallory' };
      const hs = (secret: string | Uint8Array, payload: Record<string, unknown> = claims, alg = 'HS256') =>
        new SignJWT(payload)
          .setProtectedHeader({ alg, typ: 'JWT' })
          .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
      const good = await userToken('mallory', 'student');
      const [header, , signature] = good.split('.');
      return {
        'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
        'alg None, signature kept': `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims)}.${signature}`,
        'HS256 with a wrong key': await hs('another-secret-another-secret-0123456789'),
        'HS512 with the right key': await hs(TEST_JWT_SECRET, claims, 'HS512'),
        'HS256 keyed with the public RSA key (alg confusion)': await hs(publicPem),
        'RS256 by the gateway key': await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey),
        expired: await userToken('mallory', 'admin', { expiresIn: now() - 120 }),
        'not yet valid': await hs(TEST_JWT_SECRET, { ...claims, nbf: now() + 3600 }),
        'no exp': await hs(TEST_JWT_SECRET, { role: 'admin', sub: 'mallory' }),
        'no sub': await hs(TEST_JWT_SECRET, { exp: now() + 600, role: 'admin' }),
        'role outside the enum': await userToken('mallory', 'superuser'),
        'role as an array': await hs(TEST_JWT_SECRET, { ...claims, role: ['admin'] }),
        'payload swapped under a student signature': `${header}.${b64(claims)}.${signature}`,
        'SCORM RS256 token as a bearer': (
          (await (
            await fetch(`${stack.gateway.url}/api/v1/scorm/token`, {
              body: '{}',
              headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
              method: 'POST',
            })
          ).json()) as { token: string }
        ).token,
      };
    };

    it('refuses every forged, expired or confused token on every protected route with 401', async () => {
      const docs = await rawRequest(stack.gateway.url, { method: 'GET', path: '/docs-json' });
      const operations = listOperations(docs.json as never);
      const tokens = await forged();
      expect(Object.values(tokens).every((token) => typeof token === 'string' && token.length > 20)).toBe(true);
      let protectedRoutes = 0;
      for (const op of operations) {
        const path = op.path.replace(/\{[^}]+\}/g, 'forgery-id');
        const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}';
        const headers: Record<string, string> = body ? { 'Content-Type': 'application/json' } : {};
        // The postback routes authenticate with the webhook credentials (their own suite), never a bearer token.
        if (op.usesBasicAuth) continue;
        const anonymous = await rawRequest(stack.gateway.url, { body, headers, method: op.method, path });
        if (anonymous.status !== 401) continue;
        protectedRoutes++;
        for (const [label, token] of Object.entries(tokens)) {
          const res = await unchanged(() =>
            rawRequest(stack.gateway.url, {
              body,
              headers: { ...headers, Authorization: `Bearer ${token}` },
              method: op.method,
              path,
            }),
          );
          expect({ label, op: op.id, status: res.status }).toEqual({ label, op: op.id, status: 401 });
          expect(errorShapeProblem(res)).toBeUndefined();
          expect(String(res.json?.code)).toMatch(/^TOKEN_(INVALID|EXPIRED)$/);
        }
      }
      expect(protectedRoutes).toBeGreaterThanOrEqual(8);
    });

    it('refuses roles that may not, with 403 and nothing stored', async () => {
      const student = await userToken('student-x', 'student');
      const teacher = await userToken('teacher-x', 'teacher');
      const attempts: [string, string, string, string | undefined][] = [
        [
          student,
          'POST',
          '/api/v1/bazaar/browse',
          JSON.stringify({
            ...bazaarUser({ role: 'student', user_id: 'student-x' }),
            return_url: `${stack.sandbox.url}/demo`,
          }),
        ],
        [student, 'DELETE', '/api/v1/contexts/course-21/materials/some-uid', undefined],
        [student, 'DELETE', '/api/v1/scorm/registrations/some-reg', undefined],
        [teacher, 'POST', '/api/v1/scorm/token', '{}'],
        [teacher, 'GET', '/api/v1/scorm/courses', undefined],
        [teacher, 'GET', '/api/v1/webhooks/events', undefined],
        [student, 'POST', '/api/v1/scorm/courses', '{}'],
      ];
      for (const [token, method, path, body] of attempts) {
        const res = await unchanged(() =>
          rawRequest(stack.gateway.url, {
            body,
            headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
            method,
            path,
          }),
        );
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
        expect(errorShapeProblem(res)).toBeUndefined();
      }
    });

    it("refuses a teacher acting as another user or in another user's name", async () => {
      const teacher = await userToken('teacher-a', 'teacher');
      const res = await unchanged(() =>
        browse(stack.gateway, teacher, {
          ...bazaarUser({ user_id: 'teacher-b' }),
          return_url: `${stack.sandbox.url}/demo`,
        }),
      );
      expect(res.status).toBe(403);
    });
  });

  describe('a scoped user token acts only in its own school and courses', () => {
    const OTHER = 'course-other';
    const teacherScope = { scope: true } as const;
    const studentScope = {
      scope: { email: 'sami.oppilas@koulu.example.fi', family_name: 'Student', given_name: 'Sami' },
    } as const;
    const studentFields = {
      email: 'sami.oppilas@koulu.example.fi',
      first_name: 'Sami',
      last_name: 'Student',
      role: 'student',
      user_id: 'student-1',
    };
    let teacher: string;
    let student: string;
    let uid: string;

    beforeAll(async () => {
      teacher = await userToken('teacher-1', 'teacher', teacherScope);
      student = await userToken('student-1', 'student', studentScope);
      // The same material in the token's course and in another one, so only the scope can refuse a view.
      for (const context_id of ['course-21', OTHER]) {
        const session = await newSession(stack.gateway, stack.sandbox, TEST_API_KEY, bazaarUser({ context_id }));
        expect((await postForm(session.addUrl, { params: session.forms[0].params })).status).toBe(303);
        uid = session.forms[0].uid;
      }
      await insertRegistration(stack.gateway, 'reg-other-course', { contextId: OTHER, learnerId: 'student-2' });
      await insertRegistration(stack.gateway, 'reg-own-course', { contextId: 'course-21', learnerId: 'student-2' });
      await insertRegistration(stack.gateway, 'reg-no-course', { contextId: null, learnerId: 'student-2' });
    });

    const browseBody = (override: Record<string, unknown>) =>
      JSON.stringify({ ...bazaarUser(), return_url: `${stack.sandbox.url}/demo`, ...override });
    const viewBody = (override: Record<string, unknown>) =>
      JSON.stringify({ ...bazaarUser(studentFields), resource_uid: uid, ...override });
    const enrol = (override: Record<string, unknown>) =>
      JSON.stringify({ context_id: 'course-21', course_id: 'safety-101', ...override });
    const teacherEnrols = (override: Record<string, unknown>) =>
      enrol({ learner_first_name: 'Aino', learner_id: 'student-2', learner_last_name: 'Virtanen', ...override });

    /** [label, who, method, path, body, code] */
    const spoofs: () => [string, string, string, string, string | undefined, string][] = () => [
      [
        'browse: another school',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ school_id: '00914' }),
        'SCHOOL_ID_MISMATCH',
      ],
      [
        'browse: another city',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ city_id: '092' }),
        'CITY_ID_MISMATCH',
      ],
      [
        'browse: another course',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ context_id: OTHER }),
        'CONTEXT_NOT_IN_TOKEN',
      ],
      [
        'browse: another first name',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ first_name: 'Mallory' }),
        'FIRST_NAME_MISMATCH',
      ],
      [
        'browse: another last name',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ last_name: 'Mallory' }),
        'LAST_NAME_MISMATCH',
      ],
      [
        'browse: another email',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ email: 'mallory@evil.example' }),
        'EMAIL_MISMATCH',
      ],
      [
        'browse: another user',
        teacher,
        'POST',
        '/api/v1/bazaar/browse',
        browseBody({ user_id: 'teacher-2' }),
        'USER_MISMATCH',
      ],
      [
        'view: another school',
        student,
        'POST',
        '/api/v1/bazaar/view',
        viewBody({ school_id: '00914' }),
        'SCHOOL_ID_MISMATCH',
      ],
      ['view: another city', student, 'POST', '/api/v1/bazaar/view', viewBody({ city_id: 92 }), 'CITY_ID_MISMATCH'],
      [
        'view: another course',
        student,
        'POST',
        '/api/v1/bazaar/view',
        viewBody({ context_id: OTHER }),
        'CONTEXT_NOT_IN_TOKEN',
      ],
      [
        'view: another first name',
        student,
        'POST',
        '/api/v1/bazaar/view',
        viewBody({ first_name: 'Tiina' }),
        'FIRST_NAME_MISMATCH',
      ],
      [
        'view: another last name',
        student,
        'POST',
        '/api/v1/bazaar/view',
        viewBody({ last_name: 'Öhman' }),
        'LAST_NAME_MISMATCH',
      ],
      [
        'view: another email',
        student,
        'POST',
        '/api/v1/bazaar/view',
        viewBody({ email: 'tiina.opettaja@koulu.example.fi' }),
        'EMAIL_MISMATCH',
      ],
      ['view: another role', student, 'POST', '/api/v1/bazaar/view', viewBody({ role: 'teacher' }), 'ROLE_MISMATCH'],
      [
        'materials: list another course',
        teacher,
        'GET',
        `/api/v1/contexts/${OTHER}/materials`,
        undefined,
        'CONTEXT_NOT_IN_TOKEN',
      ],
      [
        'materials: remove from another course',
        teacher,
        'DELETE',
        `/api/v1/contexts/${OTHER}/materials/${encodeURIComponent(uid)}`,
        undefined,
        'CONTEXT_NOT_IN_TOKEN',
      ],
      [
        'enrol: a student in another course',
        student,
        'POST',
        '/api/v1/scorm/registrations',
        enrol({ context_id: OTHER }),
        'CONTEXT_NOT_IN_TOKEN',
      ],
      [
        'enrol: a student under another first name',
        student,
        'POST',
        '/api/v1/scorm/registrations',
        enrol({ learner_first_name: 'Mallory' }),
        'FIRST_NAME_MISMATCH',
      ],
      [
        'enrol: a student under another last name',
        student,
        'POST',
        '/api/v1/scorm/registrations',
        enrol({ learner_last_name: 'Mallory' }),
        'LAST_NAME_MISMATCH',
      ],
      [
        'enrol: a student enrolling someone else',
        student,
        'POST',
        '/api/v1/scorm/registrations',
        enrol({ learner_first_name: 'A', learner_id: 'student-2', learner_last_name: 'B' }),
        'REGISTRATION_FORBIDDEN',
      ],
      [
        'enrol: a teacher in another course',
        teacher,
        'POST',
        '/api/v1/scorm/registrations',
        teacherEnrols({ context_id: OTHER }),
        'CONTEXT_NOT_IN_TOKEN',
      ],
      [
        'read: a registration in another course',
        teacher,
        'GET',
        '/api/v1/scorm/registrations/reg-other-course',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
      [
        'read: refreshing one in another course',
        teacher,
        'GET',
        '/api/v1/scorm/registrations/reg-other-course?refresh=true',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
      [
        'read: a registration in no course',
        teacher,
        'GET',
        '/api/v1/scorm/registrations/reg-no-course',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
      [
        "read: a classmate's registration",
        student,
        'GET',
        '/api/v1/scorm/registrations/reg-own-course',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
      [
        'reset: a registration in another course',
        teacher,
        'POST',
        '/api/v1/scorm/registrations/reg-other-course/reset',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
      [
        'delete: a registration in another course',
        teacher,
        'DELETE',
        '/api/v1/scorm/registrations/reg-other-course',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
      [
        "progress: a classmate's",
        student,
        'GET',
        '/api/v1/scorm/learners/student-2/progress',
        undefined,
        'REGISTRATION_FORBIDDEN',
      ],
    ];

    it('refuses each spoof with 403 naming the field, storing nothing and sending nothing to the sandbox', async () => {
      const attempts = spoofs();
      expect(attempts.length).toBeGreaterThanOrEqual(25);
      for (const [label, token, method, path, body, code] of attempts) {
        const sent = await sandboxRequestCount(stack.sandbox);
        const res = await unchanged(() =>
          rawRequest(stack.gateway.url, {
            body,
            headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
            method,
            path,
          }),
        );
        expect({ code: res.json?.code, label, status: res.status }).toEqual({ code, label, status: 403 });
        expect(errorShapeProblem(res)).toBeUndefined();
        expect({ label, sent: await sandboxRequestCount(stack.sandbox) }).toEqual({ label, sent });
      }
    });

    it("lists only the registrations of the teacher's own courses in a learner's progress", async () => {
      const res = await unchanged(() =>
        rawRequest(stack.gateway.url, {
          headers: { Authorization: `Bearer ${teacher}` },
          method: 'GET',
          path: '/api/v1/scorm/learners/student-2/progress',
        }),
      );
      expect(res.status).toBe(200);
      const ids = (res.json?.registrations as { id: string }[]).map((registration) => registration.id);
      expect(ids).toEqual(['reg-own-course']);
    });

    it('counts what reaches the sandbox (the check above is not vacuous)', async () => {
      const sent = await sandboxRequestCount(stack.sandbox);
      const res = await rawRequest(stack.gateway.url, {
        body: viewBody({}),
        headers: { Authorization: `Bearer ${student}`, 'Content-Type': 'application/json' },
        method: 'POST',
        path: '/api/v1/bazaar/view',
      });
      expect(res.status).toBe(200);
      expect(await sandboxRequestCount(stack.sandbox)).toBe(sent + 1);
    });
  });

  describe('Bazaar callback state', () => {
    const material = { name: 'Forged material', uid: 'forged-uid-1' };

    it('refuses no, unknown, truncated, doubled and oversized states', async () => {
      const base = `${stack.gateway.url}/api/v1/bazaar/callbacks`;
      const session = await newSession(
        stack.gateway,
        stack.sandbox,
        await userToken('teacher-1', 'teacher'),
        bazaarUser({ context_id: 'course-state' }),
      );
      const state = new URL(session.addUrl).searchParams.get('state') as string;
      const forgedStates = [
        '',
        'unknown-state',
        state.slice(0, -1),
        `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`,
        `${state}x`,
        'a'.repeat(10_000),
        `${state}&state=${state}`,
      ];
      for (const forged of forgedStates) {
        const res = await unchanged(() => postForm(`${base}/add?state=${forged}`, { params: base64Json(material) }));
        expect({ forged: forged.slice(0, 20), status: res.status }).toEqual({
          forged: forged.slice(0, 20),
          status: 400,
        });
        expect(res.headers.get('location')).toBeNull();
      }
      expect(await materialsOf(stack.gateway, TEST_API_KEY, 'course-state')).toEqual([]);
    });

    it("binds a state to its own user's course: a captured state cannot write anywhere else", async () => {
      const teacherA = await userToken('teacher-a1', 'teacher');
      const teacherB = await userToken('teacher-b1', 'teacher');
      const sessionA = await newSession(
        stack.gateway,
        stack.sandbox,
        teacherA,
        bazaarUser({ context_id: 'course-a', user_id: 'teacher-a1' }),
      );
      await newSession(
        stack.gateway,
        stack.sandbox,
        teacherB,
        bazaarUser({ context_id: 'course-b', user_id: 'teacher-b1' }),
      );
      // The attacker replays A's state with fields naming B's course and user.
      const res = await postForm(sessionA.addUrl, {
        context_id: 'course-b',
        params: base64Json({ ...material, context_id: 'course-b', user_id: 'teacher-b1' }),
        user_id: 'teacher-b1',
      });
      expect(res.status).toBe(303);
      expect(new URL(res.headers.get('location') as string).origin).toBe(stack.sandbox.url);
      expect((await materialsOf(stack.gateway, TEST_API_KEY, 'course-a')).map((m) => m.uid)).toEqual([material.uid]);
      expect(await materialsOf(stack.gateway, TEST_API_KEY, 'course-b')).toEqual([]);
    });

    it('refuses a state reused across add and cancel, in either order', async () => {
      const teacher = await userToken('teacher-1', 'teacher');
      const first = await newSession(stack.gateway, stack.sandbox, teacher, bazaarUser({ context_id: 'course-x1' }));
      expect((await fetch(first.cancelUrl as string, { redirect: 'manual' })).status).toBe(303);
      const late = await unchanged(() => postForm(first.addUrl, { params: first.forms[0].params }));
      expect(late.status).toBe(400);

      const second = await newSession(stack.gateway, stack.sandbox, teacher, bazaarUser({ context_id: 'course-x2' }));
      expect((await postForm(second.addUrl, { params: second.forms[0].params })).status).toBe(303);
      const cancel = await unchanged(() => fetch(second.cancelUrl as string, { redirect: 'manual' }));
      expect(cancel.status).toBe(400);
      const replay = await unchanged(() => postForm(second.addUrl, { params: second.forms[0].params }));
      expect(replay.status).toBe(400);
    });

    it.each([
      'https://evil.example/phish',
      '//evil.example/phish',
      'https://lms.example.edu.evil.example/',
      'https://lms.example.edu@evil.example/',
      'http://lms.example.edu/course/1',
      'javascript:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'https:\\\\evil.example',
      '/relative/path',
      'https://lms.example.edu:8443/course/1',
      'ftp://lms.example.edu/x',
    ])('refuses return_url %s (no open redirect), storing no state', async (returnUrl) => {
      const teacher = await userToken('teacher-1', 'teacher');
      const res = await unchanged(() => browse(stack.gateway, teacher, { ...bazaarUser(), return_url: returnUrl }));
      expect(res.status).toBe(400);
      expect(res.body.code).toMatch(/RETURN_URL|VALIDATION/);
    });
  });

  describe('webhook postback tokens and credentials', () => {
    const body = (id: string) =>
      JSON.stringify({
        id,
        instance: 0,
        registrationCompletion: 'COMPLETED',
        registrationSuccess: 'PASSED',
        score: { scaled: 99 },
        totalSecondsTracked: 10,
        updated: new Date(Date.now() - 3600_000).toISOString(),
      });

    it('refuses forged, confused, foreign-key, expired and wrong-audience postback tokens with 401', async () => {
      await insertRegistration(stack.gateway, 'reg-forgery');
      const privateKey = await importPKCS8(readFileSync(stack.gateway.env.SCORM_PRIVATE_KEY_PATH, 'utf8'), 'RS256');
      const publicPem = readFileSync(stack.gateway.env.SCORM_PUBLIC_KEY_PATH, 'utf8');
      const { privateKey: foreignKey } = await generateKeyPair('RS256');
      const claims = { aud: 'scorm-postback', iss: TEST_SECRETS.scormAppId, sub: 'reg-forgery' };
      const rs = (key: KeyLike, payload: Record<string, unknown>, exp: number) =>
        new SignJWT(payload).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime(exp).sign(key);
      const tokens: Record<string, string> = {
        'alg none': `${b64({ alg: 'none' })}.${b64({ ...claims, exp: now() + 600 })}.`,
        'HS256 keyed with the public key': await new SignJWT({ ...claims, exp: now() + 600 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(publicPem)),
        'RS256 by a foreign key': await rs(foreignKey, claims, now() + 600),
        expired: await rs(privateKey, claims, now() - 3600),
        'wrong audience': await rs(privateKey, { ...claims, aud: 'something-else' }, now() + 600),
        'wrong issuer': await rs(privateKey, { ...claims, iss: 'OTHERAPP' }, now() + 600),
      };
      for (const [label, token] of Object.entries(tokens)) {
        for (const route of ['/api/results', '/api/v1/webhooks/scorm-cloud']) {
          const res = await unchanged(() =>
            rawRequest(stack.gateway.url, {
              body: body('reg-forgery'),
              headers: { Authorization: BASIC, 'Content-Type': 'application/json' },
              method: 'POST',
              path: `${route}?token=${token}`,
            }),
          );
          expect({ label, route, status: res.status }).toEqual({ label, route, status: 401 });
          expect(errorShapeProblem(res)).toBeUndefined();
        }
      }
    });

    it('refuses credentials that are close but wrong, in every place they can travel', async () => {
      await insertRegistration(stack.gateway, 'reg-creds');
      const basic = (user: string, password: string) =>
        `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const user = TEST_SECRETS.webhookUsername;
      const password = TEST_SECRETS.webhookPassword;
      const attempts: { label: string; headers: Record<string, string>; body: string }[] = [
        {
          body: body('reg-creds'),
          headers: { Authorization: basic(user, password.slice(0, -1)) },
          label: 'password minus a char',
        },
        {
          body: body('reg-creds'),
          headers: { Authorization: basic(user, `${password}x`) },
          label: 'password plus a char',
        },
        {
          body: body('reg-creds'),
          headers: { Authorization: basic(user.toUpperCase(), password) },
          label: 'username case',
        },
        { body: body('reg-creds'), headers: { Authorization: basic('', password) }, label: 'empty username' },
        { body: body('reg-creds'), headers: { Authorization: `Bearer ${TEST_API_KEY}` }, label: 'an API key instead' },
        { body: body('reg-creds'), headers: { Authorization: `Basic ${password}` }, label: 'password not encoded' },
      ];
      for (const attempt of attempts) {
        const res = await unchanged(() =>
          rawRequest(stack.gateway.url, {
            body: attempt.body,
            headers: { ...attempt.headers, 'Content-Type': 'application/json' },
            method: 'POST',
            path: '/api/results',
          }),
        );
        expect({ label: attempt.label, status: res.status }).toEqual({ label: attempt.label, status: 401 });
      }
      const form = new URLSearchParams({
        data: body('reg-creds'),
        password: `${password} `,
        userName: user,
      }).toString();
      const res = await unchanged(() =>
        rawRequest(stack.gateway.url, {
          body: form,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          method: 'POST',
          path: '/api/v1/webhooks/scorm-cloud',
        }),
      );
      expect(res.status).toBe(401);
    });

    it('stores a replayed postback once, and a replay never rolls progress back', async () => {
      await insertRegistration(stack.gateway, 'reg-replay');
      // Postbacks dated in the future are refused, so both lie in the past.
      const earlier = new Date(Date.now() - 2 * 3600_000).toISOString();
      const later = new Date(Date.now() - 3600_000).toISOString();
      const send = (updated: string, completion: string) =>
        rawRequest(stack.gateway.url, {
          body: JSON.stringify({ id: 'reg-replay', instance: 0, registrationCompletion: completion, updated }),
          headers: { Authorization: BASIC, 'Content-Type': 'application/json' },
          method: 'POST',
          path: '/api/results',
        });
      expect((await send(earlier, 'INCOMPLETE')).status).toBe(200);
      expect((await send(later, 'COMPLETED')).status).toBe(200);
      const settled = await stack.db.fingerprint();
      for (let i = 0; i < 3; i++) expect((await send(earlier, 'INCOMPLETE')).status).toBe(200);
      expect((await send(later, 'COMPLETED')).status).toBe(200);
      // Replays of already-seen bodies leave the stored events and progress exactly as they were; only the
      // registration's delivery timestamps (last_postback_at, updated_at) move.
      const changed = countChanges(settled, await stack.db.fingerprint());
      expect(changed.filter((change) => !change.startsWith('scorm_registrations:'))).toEqual([]);
      const progress = await rawRequest(stack.gateway.url, {
        headers: { Authorization: `Bearer ${TEST_API_KEY}` },
        method: 'GET',
        path: '/api/v1/scorm/registrations/reg-replay',
      });
      expect(JSON.stringify(progress.json)).toMatch(/complete/i);
    });
  });

  it('leaves no private key material reachable: JWKS carries only public parameters', async () => {
    const res = await rawRequest(stack.gateway.url, { method: 'GET', path: '/.well-known/jwks.json' });
    expect(res.status).toBe(200);
    const keys = (res.json as { keys: Record<string, unknown>[] }).keys;
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys)
      for (const privateField of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privateField);
  });
});
