import { computeV1Signature, formatV1Timestamp } from '@app/scorm-cloud';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';

import { ScormSandboxStore } from '../apps/sandbox/src/scorm-cloud/scorm-sandbox.store';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { createRegistration } from './support/gateway-client';
import { RunningSandbox, RunningStack, TEST_SECRETS, startSandbox, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const admin = bearer(TEST_API_KEY);
const basic = `Basic ${Buffer.from(`${TEST_SECRETS.scormAppId}:${TEST_SECRETS.scormSecret}`).toString('base64')}`;

function importCourse(stack: RunningStack, courseId: string, query = '') {
  return request(stack.gateway.url)
    .post(`/api/v1/scorm/courses?course_id=${courseId}${query}`)
    .set(admin)
    .attach('file', scormPackage(`Course ${courseId}`), { filename: `${courseId}.zip` });
}

function register(stack: RunningStack, registrationId: string, learnerId = `l-${registrationId}`) {
  return createRegistration(stack.gateway, TEST_API_KEY, {
    course_id: 'contract-101',
    learner_first_name: 'Aino',
    learner_id: learnerId,
    learner_last_name: 'Virtanen',
    registration_id: registrationId,
  });
}

/** Opens a launch URL the way a browser does (v1's signed URL redirects to the player). */
async function openLaunch(launchUrl: string): Promise<{ status: number; page: string }> {
  let response = await fetch(launchUrl, { redirect: 'manual' });
  if (response.status === 302) response = await fetch(new URL(response.headers.get('location') ?? '', launchUrl));
  return { page: await response.text(), status: response.status };
}

describe('The sandbox SCORM Cloud v2 holds every request to the official definition', () => {
  let stack: RunningStack;
  const v2 = () => request(`${stack.sandbox.url}/scorm/api/v2`);
  const createBody = (overrides: Record<string, unknown> = {}, postBack: Record<string, unknown> = {}) => ({
    courseId: 'contract-101',
    learner: { firstName: 'A', id: 'l-1', lastName: 'B' },
    postBack: {
      authType: 'HTTPBASIC',
      password: 'p',
      resultsFormat: 'FULL',
      url: 'https://gw/pb',
      userName: 'u',
      ...postBack,
    },
    registrationId: 'reg-direct',
    ...overrides,
  });

  beforeAll(async () => {
    stack = await startStack();
    await importCourse(stack, 'contract-101').expect(201);
  });
  afterAll(() => stack?.close());

  it('refuses a missing required field, naming it', async () => {
    await v2().post('/registrations').set('Authorization', basic).send(createBody()).expect(204);
    const res = await v2()
      .post('/registrations/reg-direct/launchLink')
      .set('Authorization', basic)
      .send({ expiry: 60 })
      .expect(400);
    expect(res.body.message).toMatch(/redirectOnExitUrl is required \(LaunchLinkRequestSchema\)/);
    const nested = await v2()
      .post('/registrations')
      .set('Authorization', basic)
      .send(createBody({ learner: { firstName: 'A' }, registrationId: 'reg-no-learner-id' }))
      .expect(400);
    expect(nested.body.message).toMatch(/learner\.id is required \(LearnerSchema\)/);
  });

  it('refuses a wrong type, naming the field and the type', async () => {
    const res = await v2()
      .post('/registrations/reg-direct/launchLink')
      .set('Authorization', basic)
      .send({ expiry: '60', redirectOnExitUrl: '' })
      .expect(400);
    expect(res.body.message).toMatch(/expiry must be a number, got the string "60"/);
  });

  it('refuses an enum value in the wrong case', async () => {
    const res = await v2()
      .post('/registrations')
      .set('Authorization', basic)
      .send(createBody({ registrationId: 'reg-case' }, { authType: 'httpbasic' }))
      .expect(400);
    expect(res.body.message).toMatch(/postBack\.authType must be one of UNDEFINED\|FORM\|HTTPBASIC, got "httpbasic"/);
    expect(res.body.message).toMatch(/case-sensitive/);
  });

  it('refuses a value outside the enum', async () => {
    const res = await v2()
      .post('/registrations')
      .set('Authorization', basic)
      .send(createBody({ registrationId: 'reg-enum' }, { resultsFormat: 'SUMMARY' }))
      .expect(400);
    expect(res.body.message).toMatch(/postBack\.resultsFormat must be one of UNDEFINED\|COURSE\|ACTIVITY\|FULL/);
  });

  it('refuses an unknown field, at any depth', async () => {
    const top = await v2()
      .post('/registrations')
      .set('Authorization', basic)
      .send(createBody({ registrationId: 'reg-unknown', redirectUrl: 'https://x' }))
      .expect(400);
    expect(top.body.message).toMatch(/redirectUrl is not a field of CreateRegistrationSchema/);
    const nested = await v2()
      .post('/registrations')
      .set('Authorization', basic)
      .send(createBody({ registrationId: 'reg-unknown' }, { username: 'u' }))
      .expect(400);
    expect(nested.body.message).toMatch(/postBack\.username is not a field of PostBackSchema/);
  });

  it('refuses an unknown query parameter and a query value of the wrong type', async () => {
    const unknown = await v2().get('/courses?includeRegistrationCounts=true').set('Authorization', basic).expect(400);
    expect(unknown.body.message).toMatch(/unknown query parameter "includeRegistrationCounts"/);
    const wrong = await v2().get('/courses?includeRegistrationCount=yes').set('Authorization', basic).expect(400);
    expect(wrong.body.message).toMatch(/"includeRegistrationCount" must be true or false, got "yes"/);
  });

  it('answers a duplicate create with 400, the only refusal createRegistration documents', async () => {
    const res = await v2().post('/registrations').set('Authorization', basic).send(createBody()).expect(400);
    expect(res.body.message).toMatch(/reg-direct already exists/);
  });

  it('keeps what it was sent exactly, and returns registrationCount only when asked', async () => {
    const stored = stack.sandbox.app.get(ScormSandboxStore).registration(TEST_SECRETS.scormAppId, 'reg-direct');
    expect(stored?.postback).toMatchObject({ authType: 'HTTPBASIC', resultsFormat: 'FULL' });
    const plain = await v2().get('/courses').set('Authorization', basic).expect(200);
    expect(plain.body.courses[0]).not.toHaveProperty('registrationCount');
    const counted = await v2().get('/courses?includeRegistrationCount=true').set('Authorization', basic).expect(200);
    expect(counted.body.courses[0]).toMatchObject({ id: 'contract-101', registrationCount: 1 });
  });
});

describe('The sandbox SCORM Cloud v1 refuses parameters its method does not document', () => {
  let stack: RunningStack;

  /** A signed v1 call, the parameters in the query or as a POST form. */
  const call = (params: Record<string, string>, as: 'query' | 'form' = 'query') => {
    const all = { ...params, appid: TEST_SECRETS.scormAppId, ts: formatV1Timestamp(new Date()) };
    const signed = new URLSearchParams({ ...all, sig: computeV1Signature(TEST_SECRETS.scormSecret, all) });
    const api = request(stack.sandbox.url);
    return as === 'query'
      ? api.get(`/scorm/api?${signed.toString()}`)
      : api.post('/scorm/api').type('form').send(signed.toString());
  };

  beforeAll(async () => {
    stack = await startStack({ gatewayOverrides: { SCORM_CLOUD_API: 'v1' } });
    await importCourse(stack, 'contract-101').expect(201);
  });
  afterAll(() => stack?.close());

  const registration = {
    courseid: 'contract-101',
    fname: 'A',
    learnerid: 'l-1',
    lname: 'B',
    method: 'rustici.registration.createRegistration',
  };

  it('refuses a parameter the method does not list (v2 names included)', async () => {
    const res = await call({ courseid: 'contract-101', mayCreateNewVersion: 'true', method: 'rustici.course.exists' });
    expect(res.text).toContain('<rsp stat="fail">');
    expect(res.text).toMatch(/The parameter mayCreateNewVersion is not an argument of rustici\.course\.exists/);
  });

  it('refuses a documented name in another case', async () => {
    const res = await call({ ...registration, regId: 'r-case' });
    expect(res.text).toMatch(/The parameter regId is not an argument of rustici\.registration\.createRegistration/);
  });

  it('refuses a documented value in another case', async () => {
    const res = await call({ ...registration, authtype: 'FORM', regid: 'r-value' });
    expect(res.text).toMatch(/authtype must be one of form, httpbasic, got &quot;FORM&quot;/);
  });

  it('accepts a call as a POST form, signed over the same parameters', async () => {
    const res = await call({ ...registration, regid: 'r-form', urlpass: 'secret&+=' }, 'form');
    expect(res.text).toContain('<rsp stat="ok"><success />');
    const stored = stack.sandbox.app.get(ScormSandboxStore).registration(TEST_SECRETS.scormAppId, 'r-form');
    expect(stored?.postback).toBeUndefined();
    expect(stored?.learner.id).toBe('l-1');
  });
});

describe.each(['v2', 'v1'] as const)('The gateway keeps to the official contract over %s', (api) => {
  let stack: RunningStack;
  let restarted: RunningSandbox | undefined;
  let stateDir: string;
  let stateFile: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    stateFile = join(stateDir, 'sandbox.json');
    stack = await startStack({
      gatewayOverrides: { SCORM_CLOUD_API: api },
      sandboxEnv: { SANDBOX_STATE_FILE: stateFile },
    });
    await importCourse(stack, 'contract-101').expect(201);
  });
  afterAll(async () => {
    // The first sandbox is closed by the restart test; the one it started is closed here.
    if (restarted) {
      await stack.gateway.close();
      await restarted.close();
    } else {
      await stack?.close();
    }
    rmSync(stateDir, { force: true, recursive: true });
  });

  it('launches without a redirect_url (v2 sends redirectOnExitUrl "", the account setting)', async () => {
    expect((await register(stack, `no-redirect-${api}`)).status).toBe(201);
    const res = await request(stack.gateway.url)
      .post(`/api/v1/scorm/registrations/no-redirect-${api}/launch`)
      .set(admin)
      .send({})
      .expect(200);
    const opened = await openLaunch(res.body.launch_url);
    expect(opened.status).toBe(200);
    expect(opened.page).toContain('sandbox-complete');
    const launches = [...stack.sandbox.app.get(ScormSandboxStore).launches.values()];
    expect(launches.at(-1)?.redirectUrl ?? '').toBe('');
  });

  it('adopts a registration SCORM Cloud already holds for the same course and learner (retried create)', async () => {
    const store = stack.sandbox.app.get(ScormSandboxStore);
    for (const [id, learnerId] of [
      [`landed-${api}`, 'l-landed'],
      [`taken-${api}`, 'l-someone-else'],
    ]) {
      store.addRegistration({
        appId: TEST_SECRETS.scormAppId,
        courseId: 'contract-101',
        id,
        learner: { firstName: 'Aino', id: learnerId, lastName: 'Virtanen' },
      });
    }
    expect((await register(stack, `landed-${api}`, 'l-landed')).status).toBe(201);
    const taken = await register(stack, `taken-${api}`, 'l-landed');
    expect({ code: taken.body.code, status: taken.status }).toEqual({
      code: 'REGISTRATION_EXISTS_UPSTREAM',
      status: 409,
    });
    const unknownCourse = await request(stack.gateway.url).post('/api/v1/scorm/registrations').set(admin).send({
      course_id: 'no-such-course',
      learner_first_name: 'A',
      learner_id: 'l-x',
      learner_last_name: 'B',
    });
    expect({ code: unknownCourse.body.code, status: unknownCourse.status }).toEqual({
      code: 'COURSE_NOT_FOUND',
      status: 404,
    });
  });

  it('reports the real registration count of each course', async () => {
    const res = await request(stack.gateway.url).get('/api/v1/scorm/courses').set(admin).expect(200);
    const course = res.body.courses.find((c: { id: string }) => c.id === 'contract-101');
    const upstream = [...stack.sandbox.app.get(ScormSandboxStore).registrations.values()].filter(
      (r) => r.courseId === 'contract-101',
    ).length;
    expect(upstream).toBeGreaterThan(0);
    expect(course.registration_count).toBe(upstream);
  });

  it('imports a new version only when asked, the way the API documents it', async () => {
    const conflict = await importCourse(stack, 'contract-101').expect(409);
    expect(conflict.body.code).toBe('SCORM_CLOUD_CONFLICT');
    const store = stack.sandbox.app.get(ScormSandboxStore);
    expect(store.course(TEST_SECRETS.scormAppId, 'contract-101')?.version).toBe(0);
    await importCourse(stack, 'contract-101', '&may_create_new_version=true').expect(201);
    expect(store.course(TEST_SECRETS.scormAppId, 'contract-101')?.version).toBe(1);
  });

  it('never puts the webhook password in a URL', async () => {
    const seen: { method?: string; url?: string; type?: string }[] = [];
    const observe = (req: IncomingMessage) =>
      seen.push({ method: req.method, type: req.headers['content-type'], url: req.url });
    const server = stack.sandbox.app.getHttpServer();
    server.on('request', observe);
    try {
      expect((await register(stack, `secret-${api}`)).status).toBe(201);
    } finally {
      server.off('request', observe);
    }
    const password = encodeURIComponent(TEST_SECRETS.webhookPassword);
    expect(seen.length).toBeGreaterThan(0);
    for (const { url } of seen) {
      expect(url).not.toContain(TEST_SECRETS.webhookPassword);
      expect(url).not.toContain(password);
    }
    if (api === 'v1') {
      expect(seen).toEqual([{ method: 'POST', type: 'application/x-www-form-urlencoded', url: '/scorm/api' }]);
    }
  });

  it('still launches its registrations after the sandbox restarts on the same state file', async () => {
    expect((await register(stack, `survivor-${api}`)).status).toBe(201);
    const port = stack.sandbox.port;
    await stack.sandbox.close();
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).registrations.map((r: { id: string }) => r.id)).toContain(
      `survivor-${api}`,
    );
    restarted = await startSandbox({ SANDBOX_GATEWAY_URL: stack.gateway.url, SANDBOX_STATE_FILE: stateFile }, port);
    const student = await userToken(`l-survivor-${api}`, 'student');
    const res = await request(stack.gateway.url)
      .post(`/api/v1/scorm/registrations/survivor-${api}/launch`)
      .set(bearer(student))
      .send({})
      .expect(200);
    const opened = await openLaunch(res.body.launch_url);
    expect(opened.status).toBe(200);
    expect(opened.page).toContain('Course contract-101');
  });
});
