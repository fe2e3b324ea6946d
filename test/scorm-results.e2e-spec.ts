import { PostbackReconciliationJob } from '@app/webhook';
import request from 'supertest';

import { ScormSandboxStore } from '../apps/sandbox/src/scorm-cloud/scorm-sandbox.store';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { inspectDatabase } from './support/database-inspector';
import { playInSandbox, waitFor } from './support/scorm-player';
import { RunningGateway, RunningStack, TEST_SECRETS, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const admin = bearer(TEST_API_KEY);

/**
 * No learner result lost: a course played to the end after an API read (a refresh, a reset, a reconciliation
 * pass) reaches the stored progress through its postback, on both transports. v1 postbacks carry no update time,
 * so they used to be answered "stale" against the read's SCORM Cloud timestamp and dropped.
 */
describe.each(['v2', 'v1'] as const)('results after an API read over the %s transport', (api) => {
  let stack: RunningStack;
  let gateway: RunningGateway;
  let sequence = 0;

  beforeAll(async () => {
    stack = await startStack({ gatewayOverrides: { SCORM_CLOUD_API: api, WEBHOOK_RECONCILE_INTERVAL_MS: '0' } });
    gateway = stack.gateway;
    await request(gateway.url)
      .post('/api/v1/scorm/courses?course_id=results-101')
      .set(admin)
      .attach('file', scormPackage('Results 101'), { filename: 'results-101.zip' })
      .expect(201);
  });
  afterAll(() => stack?.close());

  /** A fresh registration, played once to a fail, whose result has arrived. */
  async function playedOnce(): Promise<{ id: string; learner: string }> {
    const id = `results-${api}-${++sequence}`;
    const learner = `learner-${api}-${sequence}`;
    await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({
        course_id: 'results-101',
        learner_first_name: 'A',
        learner_id: learner,
        learner_last_name: 'B',
        registration_id: id,
      })
      .expect(201);
    await play(id, learner, 'fail', 20);
    await progressWith(id, (p) => p.success === 'FAILED');
    return { id, learner };
  }

  async function play(id: string, learner: string, action: 'pass' | 'fail', score: number): Promise<void> {
    const launch = await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${id}/launch`)
      .set(bearer(await userToken(learner, 'student')))
      .send({})
      .expect(200);
    const { result } = await playInSandbox(launch.body.launch_url, action, score);
    expect(result).toMatch(/data-delivered="true" data-status="200"/);
  }

  async function progressWith(id: string, accept: (progress: Record<string, unknown>) => boolean) {
    return waitFor(async () => {
      const res = await request(gateway.url).get(`/api/v1/scorm/registrations/${id}`).set(admin).expect(200);
      return res.body.progress && accept(res.body.progress) ? res.body : undefined;
    });
  }

  it('applies the result of a course played to completion after a ?refresh=true read', async () => {
    const { id, learner } = await playedOnce();
    await request(gateway.url).get(`/api/v1/scorm/registrations/${id}?refresh=true`).set(admin).expect(200);
    await play(id, learner, 'pass', 90);
    const done = await progressWith(id, (p) => p.success === 'PASSED');
    expect(done.progress).toMatchObject({ completion: 'COMPLETED', score: 90, source: 'postback' });
  });

  it('applies the result of a course played to completion after a reset', async () => {
    const { id, learner } = await playedOnce();
    const teacher = bearer(await userToken('teacher-r', 'teacher'));
    const reset = await request(gateway.url).post(`/api/v1/scorm/registrations/${id}/reset`).set(teacher).expect(200);
    expect(reset.body.progress).toMatchObject({ source: 'api', success: 'UNKNOWN' });
    await play(id, learner, 'pass', 95);
    const done = await progressWith(id, (p) => p.success === 'PASSED');
    expect(done.progress).toMatchObject({ completion: 'COMPLETED', score: 95 });
  });

  it('applies the result of a course played to completion after a reconciliation pass, then confirms it', async () => {
    const { id, learner } = await playedOnce();
    const job = gateway.app.get(PostbackReconciliationJob);
    expect((await job.run()).refreshed).toBeGreaterThanOrEqual(1);
    const confirmed = await request(gateway.url).get(`/api/v1/scorm/registrations/${id}`).set(admin).expect(200);
    expect(confirmed.body.progress_source).toBe('api');
    await play(id, learner, 'pass', 80);
    const done = await progressWith(id, (p) => p.success === 'PASSED');
    expect(done.progress).toMatchObject({ completion: 'COMPLETED', score: 80, source: 'postback' });
    // The postback is then confirmed by the next pass: the API reports the same result.
    await job.run();
    const after = await request(gateway.url).get(`/api/v1/scorm/registrations/${id}`).set(admin).expect(200);
    expect(after.body.progress).toMatchObject({ completion: 'COMPLETED', score: 80, success: 'PASSED' });
    expect(after.body.progress_source).toBe('api');
  });
});

describe.each(['v2', 'v1'] as const)('a registration deleted on SCORM Cloud (%s transport)', (api) => {
  let stack: RunningStack;
  let gateway: RunningGateway;

  beforeAll(async () => {
    stack = await startStack({ gatewayOverrides: { SCORM_CLOUD_API: api, WEBHOOK_RECONCILE_INTERVAL_MS: '0' } });
    gateway = stack.gateway;
    await request(gateway.url)
      .post('/api/v1/scorm/courses?course_id=gone-101')
      .set(admin)
      .attach('file', scormPackage('Gone 101'), { filename: 'gone-101.zip' })
      .expect(201);
  });
  afterAll(() => stack?.close());

  it('is found by a launch or a refresh, kept with its progress as deleted_upstream, and the learner enrols again', async () => {
    const learner = `learner-gone-${api}`;
    const student = bearer(await userToken(learner, 'student'));
    const body = { course_id: 'gone-101', learner_first_name: 'A', learner_id: learner, learner_last_name: 'B' };
    const first = await request(gateway.url).post('/api/v1/scorm/registrations').set(student).send(body).expect(201);
    const id = first.body.id as string;
    const launch = await request(gateway.url).post(`/api/v1/scorm/registrations/${id}/launch`).set(student).send({});
    await playInSandbox(launch.body.launch_url, 'pass', 70);
    await waitFor(async () => {
      const res = await request(gateway.url).get(`/api/v1/scorm/registrations/${id}`).set(student).expect(200);
      return res.body.progress?.success === 'PASSED' ? res.body : undefined;
    });

    // Deleted in SCORM Cloud's UI.
    stack.sandbox.app.get(ScormSandboxStore).deleteRegistration(TEST_SECRETS.scormAppId, id);
    const gone = await request(gateway.url).post(`/api/v1/scorm/registrations/${id}/launch`).set(student).send({});
    expect({ code: gone.body.code, status: gone.status }).toEqual({
      code: 'REGISTRATION_DELETED_UPSTREAM',
      status: 410,
    });
    const kept = await request(gateway.url)
      .get(`/api/v1/scorm/registrations/${id}?refresh=true`)
      .set(student)
      .expect(200);
    expect(kept.body).toMatchObject({ progress: { score: 70, success: 'PASSED' }, status: 'deleted_upstream' });
    await request(gateway.url).post(`/api/v1/scorm/registrations/${id}/launch`).set(student).send({}).expect(410);
    // Announced once, though the launch, the refresh and the second launch each found it gone.
    const db = await inspectDatabase(gateway.database);
    const events = await db.query<{ type: string; payload: string }>(
      'SELECT type, payload FROM events WHERE registration_id = $1 ORDER BY seq',
      [id],
    );
    await db.close();
    expect(events.map((event) => event.type)).toEqual([
      'registration.progress_changed',
      'registration.completed',
      'registration.deleted_upstream',
    ]);
    expect(JSON.parse(events[2].payload).data).toMatchObject({
      course_id: 'gone-101',
      learner_id: learner,
      registration_id: id,
    });

    const again = await request(gateway.url).post('/api/v1/scorm/registrations').set(student).send(body).expect(201);
    expect(again.body).toMatchObject({ progress: null, status: 'active' });
    const relaunch = await request(gateway.url)
      .post(`/api/v1/scorm/registrations/${again.body.id}/launch`)
      .set(student)
      .send({})
      .expect(200);
    expect(relaunch.body.launch_url).toBeDefined();
    const all = await request(gateway.url).get(`/api/v1/scorm/learners/${learner}/progress`).set(student).expect(200);
    expect(all.body.registrations.map((r: { status: string }) => r.status)).toEqual(['deleted_upstream', 'active']);
  });
});
