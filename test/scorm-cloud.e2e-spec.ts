import { PostbackTokenService, ScormCloudV1Signer } from '@app/scorm-cloud';
import { request as httpRequest } from 'node:http';
import request from 'supertest';

import { ScormSandboxStore } from '../apps/sandbox/src/scorm-cloud/scorm-sandbox.store';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { RunningGateway, RunningStack, TEST_SECRETS, startGateway, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const admin = bearer(TEST_API_KEY);

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What the browser does on the sandbox player: open the launch URL, then submit the form with a button. */
async function playInSandbox(launchUrl: string, action: 'complete' | 'pass' | 'fail', score?: number) {
  let response = await fetch(launchUrl, { redirect: 'manual' });
  if (response.status === 302) response = await fetch(new URL(response.headers.get('location') ?? '', launchUrl));
  expect(response.status).toBe(200);
  const page = await response.text();
  const action_ = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  expect(action_).toBeDefined();
  for (const id of ['sandbox-complete', 'sandbox-pass', 'sandbox-fail', 'sandbox-score'])
    expect(page).toContain(`id="${id}"`);
  const result = await fetch(new URL(action_ as string, response.url), {
    body: new URLSearchParams({ action, score: score === undefined ? '' : String(score) }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    method: 'POST',
  });
  expect(result.status).toBe(201);
  return { page, result: await result.text() };
}

describe.each(['v2', 'v1'] as const)('SCORM Cloud end to end over the %s transport', (api) => {
  let stack: RunningStack;
  let gateway: RunningGateway;
  const learner = 'learner-9';
  const registrationId = `reg-${api}-1`;

  beforeAll(async () => {
    stack = await startStack({ gatewayOverrides: { SCORM_CLOUD_API: api } });
    gateway = stack.gateway;
  });
  afterAll(() => stack?.close());

  it('imports a course zip streamed through the gateway and reads its title from the manifest', async () => {
    const res = await request(gateway.url)
      .post('/api/v1/scorm/courses?course_id=safety-101')
      .set(admin)
      .attach('file', scormPackage('Safety 101'), { contentType: 'application/zip', filename: 'safety-101.zip' })
      .expect(201);
    expect(res.body).toMatchObject({ course_id: 'safety-101', status: 'COMPLETE', title: 'Safety 101' });
    expect(typeof res.body.job_id).toBe('string');
    const job = await request(gateway.url)
      .get(`/api/v1/scorm/courses/import-jobs/${encodeURIComponent(res.body.job_id)}`)
      .set(admin)
      .expect(200);
    expect(job.body).toMatchObject({ job_id: res.body.job_id, status: 'COMPLETE', title: 'Safety 101' });
  });

  it('refuses a file that is not a zip, a missing file, and non-admins', async () => {
    const notZip = await request(gateway.url)
      .post('/api/v1/scorm/courses')
      .set(admin)
      .attach('file', Buffer.from('<html>not a zip</html>'), { filename: 'course.zip' })
      .expect(415);
    expect(notZip.body.code).toBe('NOT_A_ZIP');
    const missing = await request(gateway.url).post('/api/v1/scorm/courses').set(admin).field('x', 'y').expect(400);
    expect(missing.body.details.file).toBeDefined();
    const teacher = await userToken('t1', 'teacher');
    await request(gateway.url).get('/api/v1/scorm/courses').set(bearer(teacher)).expect(403);
  });

  it('answers an import SCORM Cloud cannot process with 400 carrying its reason', async () => {
    const res = await request(gateway.url)
      .post('/api/v1/scorm/courses?course_id=broken')
      .set(admin)
      .attach('file', scormPackage('x').subarray(0, 30), { filename: 'broken.zip' })
      .expect(400);
    expect(res.body.code).toBe('SCORM_CLOUD_IMPORT_FAILED');
    expect(res.body.message).toMatch(/imsmanifest/);
  });

  it('refuses to import over an existing course unless a new version is asked for', async () => {
    const upload = (query: string) =>
      request(gateway.url)
        .post(`/api/v1/scorm/courses?course_id=safety-101${query}`)
        .set(admin)
        .attach('file', scormPackage('Safety 101'), { filename: 'safety-101.zip' });
    const conflict = await upload('').expect(409);
    expect(conflict.body.code).toBe('SCORM_CLOUD_CONFLICT');
    await upload('&may_create_new_version=true').expect(201);
  });

  it('lists every course across pages', async () => {
    for (const id of ['course-b', 'course-c']) {
      await request(gateway.url)
        .post(`/api/v1/scorm/courses?course_id=${id}`)
        .set(admin)
        .attach('file', scormPackage(`Course ${id}`), { filename: `${id}.zip` })
        .expect(201);
    }
    const res = await request(gateway.url).get('/api/v1/scorm/courses').set(admin).expect(200);
    expect(res.body.courses.map((c: { id: string }) => c.id).sort()).toEqual(['course-b', 'course-c', 'safety-101']);
    expect(res.body.courses.find((c: { id: string }) => c.id === 'safety-101').title).toBe('Safety 101');
  });

  it('registers a learner with the postback wired to the gateway', async () => {
    const teacher = await userToken('teacher-1', 'teacher');
    const res = await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(bearer(teacher))
      .send({
        context_id: 'lms-course-7',
        course_id: 'safety-101',
        learner_first_name: 'Aino',
        learner_id: learner,
        learner_last_name: 'Virtanen',
        registration_id: registrationId,
      })
      .expect(201);
    expect(res.body).toMatchObject({
      context_id: 'lms-course-7',
      course_id: 'safety-101',
      created_by: 'user:teacher-1',
      id: registrationId,
      learner_id: learner,
      progress: null,
    });

    const upstream = stack.sandbox.app.get(ScormSandboxStore).registration(TEST_SECRETS.scormAppId, registrationId);
    expect(upstream?.learner).toEqual({ firstName: 'Aino', id: learner, lastName: 'Virtanen' });
    const postback = upstream?.postback;
    expect(postback).toMatchObject({
      authType: api === 'v2' ? 'HTTPBASIC' : 'form',
      password: TEST_SECRETS.webhookPassword,
      userName: TEST_SECRETS.webhookUsername,
    });
    const url = new URL(postback?.url ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(`${gateway.url}/api/v1/webhooks/scorm-cloud`);
    await expect(gateway.app.get(PostbackTokenService).verify(url.searchParams.get('token') ?? '')).resolves.toEqual({
      registrationId,
    });
  });

  it('creates a registration for a teacher whose user id is 255 characters long, the most a token may carry', async () => {
    const longId = 't'.repeat(255);
    const res = await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(bearer(await userToken(longId, 'teacher')))
      .send({ course_id: 'safety-101', learner_first_name: 'A', learner_id: 'learner-of-t', learner_last_name: 'B' });
    expect({ code: res.body.code, status: res.status }).toEqual({ code: undefined, status: 201 });
    expect(res.body.created_by).toMatch(/^user:t+$/);
  });

  it('refuses duplicate ids, unknown courses, and students registering someone else', async () => {
    const body = { course_id: 'safety-101', learner_first_name: 'A', learner_id: learner, learner_last_name: 'B' };
    const dup = await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({ ...body, registration_id: registrationId })
      .expect(409);
    expect(dup.body.code).toBe('REGISTRATION_EXISTS');
    const unknown = await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({ ...body, course_id: 'no-such-course' })
      .expect(404);
    expect(unknown.body.code).toBe('COURSE_NOT_FOUND');
    const student = await userToken('someone-else', 'student');
    await request(gateway.url).post('/api/v1/scorm/registrations').set(bearer(student)).send(body).expect(403);
    const invalid = await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({ ...body, registration_id: 'has spaces' })
      .expect(400);
    expect(invalid.body.details.registration_id).toBeDefined();
  });

  it("adopts a registration an earlier timed-out attempt created upstream, but not someone else's", async () => {
    const store = stack.sandbox.app.get(ScormSandboxStore);
    for (const [id, learnerId] of [
      [`landed-${api}`, 'l-landed'],
      [`taken-${api}`, 'someone-else'],
    ]) {
      store.addRegistration({
        appId: TEST_SECRETS.scormAppId,
        courseId: 'safety-101',
        id,
        learner: { firstName: 'A', id: learnerId, lastName: 'B' },
      });
    }
    const body = { course_id: 'safety-101', learner_first_name: 'A', learner_id: 'l-landed', learner_last_name: 'B' };
    await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({ ...body, registration_id: `landed-${api}` })
      .expect(201);
    const taken = await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({ ...body, registration_id: `taken-${api}` })
      .expect(409);
    expect(taken.body.code).toBe('REGISTRATION_EXISTS_UPSTREAM');
    await request(gateway.url).get(`/api/v1/scorm/registrations/taken-${api}`).set(admin).expect(404);
  });

  it('lets the learner launch, play to a pass in the sandbox player, and read the result', async () => {
    const student = await userToken(learner, 'student');
    const other = await userToken('learner-x', 'student');
    await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${registrationId}/launch`)
      .set(bearer(other))
      .send({})
      .expect(403);
    const badReturn = await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${registrationId}/launch`)
      .set(bearer(student))
      .send({ redirect_url: 'https://evil.example.com/' })
      .expect(400);
    expect(badReturn.body.details.redirect_url).toBeDefined();

    const launch = await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${registrationId}/launch`)
      .set(bearer(student))
      .send({ redirect_url: 'https://lms.example.edu/courses/7' })
      .expect(200);
    const expiresIn = new Date(launch.body.expires_at).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual((api === 'v2' ? 300 : 900) * 1000 + 2000);

    const { page, result } = await playInSandbox(launch.body.launch_url, 'pass', 85);
    expect(page).toContain('Safety 101');
    expect(result).toContain('Results sent');
    expect(result).toContain('https://lms.example.edu/courses/7');

    // The sandbox posted the result to the gateway's webhook; the webhook feeds the stored progress.
    expect(result).toMatch(/data-delivered="true" data-status="2\d\d"/);
    const stored = await waitFor(async () => {
      const res = await request(gateway.url).get(`/api/v1/scorm/registrations/${registrationId}`).set(bearer(student));
      expect(res.status).toBe(200);
      return res.body.progress?.success === 'PASSED' ? res.body : undefined;
    });
    expect(stored.progress).toMatchObject({ completion: 'COMPLETED', instance: 0, score: 85, source: 'postback' });
    expect(stored.progress_source).toBe('postback');
    expect(stored.last_postback_at).not.toBeNull();
    expect(stored.launched_at).not.toBeNull();

    // ?refresh=true confirms it against the API; the same `updated` leaves the stored row as it is.
    const refreshed = await request(gateway.url)
      .get(`/api/v1/scorm/registrations/${registrationId}?refresh=true`)
      .set(bearer(student))
      .expect(200);
    expect(refreshed.body.progress).toMatchObject({ completion: 'COMPLETED', score: 85, success: 'PASSED' });
    expect(refreshed.body.progress.total_seconds).toBeGreaterThanOrEqual(1);
    expect(refreshed.body.last_synced_at).not.toBeNull();
    await request(gateway.url).get(`/api/v1/scorm/registrations/${registrationId}`).set(bearer(other)).expect(403);
  });

  it('resets progress on SCORM Cloud for teachers and re-reads it', async () => {
    const id = `reset-${api}`;
    await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({
        course_id: 'safety-101',
        learner_first_name: 'R',
        learner_id: 'l-reset',
        learner_last_name: 'S',
        registration_id: id,
      })
      .expect(201);
    const student = await userToken('l-reset', 'student');
    const launch = await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${id}/launch`)
      .set(bearer(student))
      .send({})
      .expect(200);
    await playInSandbox(launch.body.launch_url, 'fail', 20);
    await request(gateway.url).post(`/api/v1/scorm/registrations/${id}/reset`).set(bearer(student)).expect(403);
    // SCORM Cloud's clock stamps the reset; let it move past the failed attempt's second (v1 reads are stamped per second).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const teacher = await userToken('teacher-1', 'teacher');
    const res = await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${id}/reset`)
      .set(bearer(teacher))
      .expect(200);
    expect(res.body.progress).toMatchObject({ completion: 'UNKNOWN', score: null, source: 'api', success: 'UNKNOWN' });
  });

  it("answers a learner's progress across registrations to the learner and teachers only", async () => {
    const student = await userToken(learner, 'student');
    const res = await request(gateway.url)
      .get(`/api/v1/scorm/learners/${learner}/progress`)
      .set(bearer(student))
      .expect(200);
    expect(res.body.learner_id).toBe(learner);
    expect(res.body.registrations).toHaveLength(1);
    expect(res.body.registrations[0]).toMatchObject({ id: registrationId, progress: { success: 'PASSED' } });
    const other = await userToken('learner-x', 'student');
    await request(gateway.url).get(`/api/v1/scorm/learners/${learner}/progress`).set(bearer(other)).expect(403);
    const teacher = await userToken('teacher-1', 'teacher');
    await request(gateway.url).get(`/api/v1/scorm/learners/${learner}/progress`).set(bearer(teacher)).expect(200);
    // The contract's path parameter name, as the OpenAPI document shows it.
    const docs = await request(gateway.url).get('/docs-json').expect(200);
    expect(docs.body.paths['/api/v1/scorm/learners/{learner_id}/progress'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'learner_id' })]),
    );
  });

  it('deletes the registration and the course on SCORM Cloud and here', async () => {
    const student = await userToken(learner, 'student');
    await request(gateway.url).delete(`/api/v1/scorm/registrations/${registrationId}`).set(bearer(student)).expect(403);
    await request(gateway.url).delete(`/api/v1/scorm/registrations/${registrationId}`).set(admin).expect(204);
    const gone = await request(gateway.url).get(`/api/v1/scorm/registrations/${registrationId}`).set(admin).expect(404);
    expect(gone.body.code).toBe('REGISTRATION_NOT_FOUND');
    expect(
      stack.sandbox.app.get(ScormSandboxStore).registration(TEST_SECRETS.scormAppId, registrationId),
    ).toBeUndefined();
    await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({
        course_id: 'course-c',
        learner_first_name: 'A',
        learner_id: 'l-c',
        learner_last_name: 'B',
        registration_id: `c-${api}`,
      })
      .expect(201);
    await request(gateway.url).delete('/api/v1/scorm/courses/course-c').set(admin).expect(204);
    // The course's registrations go with it, here as on SCORM Cloud.
    await request(gateway.url).get(`/api/v1/scorm/registrations/c-${api}`).set(admin).expect(404);
    const missing = await request(gateway.url).delete('/api/v1/scorm/courses/course-c').set(admin).expect(404);
    expect(missing.body.message).toMatch(/SCORM Cloud/);
  });

  it('keeps a registration SCORM Cloud lost as deleted_upstream when a refresh finds it gone', async () => {
    await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({
        course_id: 'safety-101',
        learner_first_name: 'A',
        learner_id: 'l-g',
        learner_last_name: 'B',
        registration_id: `gone-${api}`,
      })
      .expect(201);
    stack.sandbox.app.get(ScormSandboxStore).deleteRegistration(TEST_SECRETS.scormAppId, `gone-${api}`);
    const res = await request(gateway.url)
      .get(`/api/v1/scorm/registrations/gone-${api}?refresh=true`)
      .set(admin)
      .expect(200);
    expect(res.body).toMatchObject({ progress: null, status: 'deleted_upstream' });
    const stored = await request(gateway.url).get(`/api/v1/scorm/registrations/gone-${api}`).set(admin).expect(200);
    expect(stored.body.last_synced_at).not.toBeNull();
    expect(stored.body.deleted_upstream_at).not.toBeNull();
  });

  it('answers 502 naming SCORM Cloud and our credentials when the secret is wrong', async () => {
    const wrong = await startGateway({
      overrides: { SCORM_CLOUD_API: api, SCORM_SECRET_KEY: 'not-the-right-secret-123' },
      sandboxPort: stack.sandbox.port,
    });
    try {
      const res = await request(wrong.url).get('/api/v1/scorm/courses').set(admin).expect(502);
      expect(res.body.code).toBe('SCORM_CLOUD_AUTH_REJECTED');
      expect(res.body.message).toMatch(/SCORM Cloud rejected our credentials/);
    } finally {
      await wrong.close();
    }
  });
});

describe('SCORM Cloud v1 clock skew', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startStack({ gatewayOverrides: { SCORM_CLOUD_API: 'v1' } });
  });
  afterAll(() => stack?.close());

  it('corrects a 20-minute skew via rustici.debug.getTime and retries once', async () => {
    const skew = 20 * 60_000;
    await request(stack.sandbox.url).put('/scorm/_sandbox/clock').send({ offset_ms: skew }).expect(200);
    const res = await request(stack.gateway.url).get('/api/v1/scorm/courses').set(admin).expect(200);
    expect(res.body.courses).toEqual([]);
    const offset = stack.gateway.app.get(ScormCloudV1Signer, { strict: false }).clockOffsetMs;
    expect(Math.abs(offset - skew)).toBeLessThan(3000);
    // The learnt offset sticks: the next call is signed right the first time.
    await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=skewed')
      .set(admin)
      .attach('file', scormPackage('Skewed'), { filename: 'skewed.zip' })
      .expect(201);
  });
});

describe('SCORM course upload limits', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('refuses a declared body over the size limit with 413 before streaming it', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${stack.gateway.url}/api/v1/scorm/courses`,
        {
          headers: {
            Authorization: `Bearer ${TEST_API_KEY}`,
            'Content-Length': String(300 * 1024 * 1024),
            'Content-Type': 'multipart/form-data; boundary=x',
          },
          method: 'POST',
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ body: text, status: res.statusCode ?? 0 }));
        },
      );
      req.on('error', reject);
      req.write('--x\r\n');
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe('PAYLOAD_TOO_LARGE');
    expect(stack.sandbox.app.get(ScormSandboxStore).jobs.size).toBe(0);
  });

  it('refuses a body that is not multipart with 415', async () => {
    const res = await request(stack.gateway.url)
      .post('/api/v1/scorm/courses')
      .set(admin)
      .set('Content-Type', 'application/zip')
      .send(scormPackage('x'))
      .expect(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
