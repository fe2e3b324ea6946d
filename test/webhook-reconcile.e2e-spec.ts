import { RegistrationsService } from '@app/scorm-cloud';
import { PostbackReconciliationJob } from '@app/webhook';
import request from 'supertest';

import { ScormSandboxStore } from '../apps/sandbox/src/scorm-cloud/scorm-sandbox.store';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { createRegistration, registrationOf } from './support/gateway-client';
import { RunningStack, TEST_SECRETS, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const admin = bearer(TEST_API_KEY);
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const OVERDUE_MS = 1000;

/** A pass claimed by someone holding the webhook credentials and the registration's postback URL. */
const forgedPass = (id: string, updated: Date, instance = 0) => ({
  id,
  instance,
  registrationCompletion: 'COMPLETED',
  registrationSuccess: 'PASSED',
  score: { scaled: 100 },
  updated: updated.toISOString(),
});

/** Reconciliation against the sandbox's SCORM Cloud API: the API's record wins over lost or forged postbacks. */
describe('postback reconciliation job', () => {
  let stack: RunningStack;
  let sandbox: ScormSandboxStore;
  let job: PostbackReconciliationJob;

  /**
   * Whether the next pass would re-read this registration. (A pass's own count is no measure: the first test's
   * launched-but-silent registration is due again OVERDUE_MS after each check, which a slow machine reaches.)
   */
  const due = async (id: string) =>
    (await stack.gateway.app.get(RegistrationsService).toReconcile(new Date(), OVERDUE_MS, 50)).includes(id);
  const progress = (id: string) => registrationOf(stack.gateway, TEST_API_KEY, id);
  const register = async (id: string) => {
    const created = await createRegistration(stack.gateway, TEST_API_KEY, {
      course_id: 'safety-101',
      learner_first_name: 'Aino',
      learner_id: `learner-${id}`,
      learner_last_name: 'Virtanen',
      registration_id: id,
    });
    expect(created.status).toBe(201);
    return sandbox.registration(TEST_SECRETS.scormAppId, id)!;
  };
  /** What SCORM Cloud itself recorded for the learner (its postback never reaches us). */
  const recordUpstream = (id: string, fields: { score: number; success: 'PASSED' | 'FAILED'; updated: Date }) => {
    Object.assign(sandbox.registration(TEST_SECRETS.scormAppId, id)!, {
      completedDate: fields.updated,
      completion: 'COMPLETED',
      firstAccess: new Date(fields.updated.getTime() - 60_000),
      lastAccess: fields.updated,
      totalSeconds: 60,
      ...fields,
    });
  };

  beforeAll(async () => {
    stack = await startStack({
      gatewayOverrides: { WEBHOOK_POSTBACK_OVERDUE_MS: String(OVERDUE_MS), WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
    });
    sandbox = stack.sandbox.app.get(ScormSandboxStore);
    job = stack.gateway.app.get(PostbackReconciliationJob);
    await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=safety-101')
      .set(admin)
      .attach('file', scormPackage('Safety 101'), { contentType: 'application/zip', filename: 'safety-101.zip' })
      .expect(201);
  });
  afterAll(() => stack?.close());

  const postJson = (path: string, body: object) =>
    request(stack.gateway.url)
      .post(path)
      .set('Authorization', BASIC)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body))
      .expect(200);

  it('fills in progress whose postback was lost, once the postback is overdue after a launch', async () => {
    await register('reg-lost');
    const learner = await userToken('learner-reg-lost', 'student');
    await request(stack.gateway.url)
      .post('/api/v1/scorm/registrations/reg-lost/launch')
      .set(bearer(learner))
      .send({})
      .expect(200);
    recordUpstream('reg-lost', { score: 90, success: 'PASSED', updated: new Date(Date.now() - 1000) });
    expect((await progress('reg-lost')).progress).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, OVERDUE_MS + 200));
    const run = await job.run();
    expect(run.refreshed).toBeGreaterThanOrEqual(1);
    expect(run.failed).toBe(0);
    const after = await progress('reg-lost');
    expect(after.progress).toMatchObject({ completion: 'COMPLETED', score: 90, source: 'api', success: 'PASSED' });
    expect(after.last_synced_at).not.toBeNull();
  });

  it('replaces a forged postback with what the SCORM Cloud API reports, keeping the postback for audit', async () => {
    const upstream = await register('reg-forged');
    const token = new URL(upstream.postback!.url).searchParams.get('token');
    recordUpstream('reg-forged', { score: 35, success: 'FAILED', updated: new Date(Date.now() - 1000) });
    // Someone holding the credentials and the URL claims a pass, dated before the real attempt.
    const forged = forgedPass('reg-forged', new Date(Date.now() - 3600_000));
    await request(stack.gateway.url)
      .post(`/api/v1/webhooks/scorm-cloud?token=${token}`)
      .set('Authorization', BASIC)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(forged))
      .expect(200);
    expect((await progress('reg-forged')).progress).toMatchObject({
      score: 100,
      source: 'postback',
      success: 'PASSED',
    });

    // Progress that came only from a postback is unconfirmed: the next pass re-reads it from the API.
    await job.run();
    expect((await progress('reg-forged')).progress).toMatchObject({ score: 35, source: 'api', success: 'FAILED' });
    const events = await request(stack.gateway.url)
      .get('/api/v1/webhooks/events?registration_id=reg-forged')
      .set(admin)
      .expect(200);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]).toMatchObject({ score: 100, token_verified: true });

    // Confirmed now: a further pass leaves it alone.
    expect(await due('reg-forged')).toBe(false);
  });

  it('corrects a forged postback dated ahead (within the allowed skew) from the API', async () => {
    const upstream = await register('reg-forged-ahead');
    const token = new URL(upstream.postback!.url).searchParams.get('token');
    recordUpstream('reg-forged-ahead', { score: 35, success: 'FAILED', updated: new Date(Date.now() - 1000) });
    // A leaked credential and postback URL: a pass dated 4 minutes ahead, so no honest `updated` is newer.
    await postJson(
      `/api/v1/webhooks/scorm-cloud?token=${token}`,
      forgedPass('reg-forged-ahead', new Date(Date.now() + 4 * 60_000)),
    );
    // And a pass for an attempt (instance) that never happened.
    await postJson(`/api/v1/webhooks/scorm-cloud?token=${token}`, forgedPass('reg-forged-ahead', new Date(), 3));
    expect((await progress('reg-forged-ahead')).progress).toMatchObject({
      instance: 3,
      score: 100,
      source: 'postback',
    });

    const run = await job.run();
    expect(run.failed).toBe(0);
    const after = await progress('reg-forged-ahead');
    expect(after.progress).toMatchObject({
      completion: 'COMPLETED',
      instance: 0,
      score: 35,
      source: 'api',
      success: 'FAILED',
    });
    expect(after.instances).toHaveLength(1);
    expect(after.progress_source).toBe('api');
    expect(await due('reg-forged-ahead')).toBe(false);
  });

  it('answers a replay of a corrected forged postback as a duplicate and leaves the correction alone', async () => {
    const upstream = await register('reg-replayed');
    const path = `/api/v1/webhooks/scorm-cloud?token=${new URL(upstream.postback!.url).searchParams.get('token')}`;
    recordUpstream('reg-replayed', { score: 35, success: 'FAILED', updated: new Date(Date.now() - 1000) });
    // Dated ahead, so by `updated` alone it would beat the API's record again when replayed.
    const body = JSON.stringify(forgedPass('reg-replayed', new Date(Date.now() + 4 * 60_000)));
    const send = () =>
      request(stack.gateway.url)
        .post(path)
        .set('Authorization', BASIC)
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(200);
    expect((await send()).body).toMatchObject({ duplicate: false, outcome: 'applied' });
    expect((await job.run()).failed).toBe(0);
    expect((await progress('reg-replayed')).progress).toMatchObject({ score: 35, source: 'api', success: 'FAILED' });

    const replay = await send();
    expect(replay.body).toEqual({
      duplicate: true,
      outcome: 'stale',
      registration_id: 'reg-replayed',
      status: 'success',
    });
    const after = await progress('reg-replayed');
    expect(after.progress).toMatchObject({ score: 35, source: 'api', success: 'FAILED' });
    expect(after.progress_source).toBe('api');
    const events = await request(stack.gateway.url)
      .get('/api/v1/webhooks/events?registration_id=reg-replayed')
      .set(admin)
      .expect(200);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]).toMatchObject({ outcome: 'applied', score: 100 });
    // Still confirmed by the API: nothing for the next pass to re-check.
    expect(await due('reg-replayed')).toBe(false);
  });

  it('keeps a genuine postback that arrives while an older API read is under way, and re-checks it later', async () => {
    const upstream = await register('reg-race');
    const token = new URL(upstream.postback!.url).searchParams.get('token');
    const attempt = new Date(Date.now() - 10_000);
    recordUpstream('reg-race', { score: 40, success: 'FAILED', updated: attempt });
    await postJson(`/api/v1/webhooks/scorm-cloud?token=${token}`, {
      id: 'reg-race',
      registrationCompletion: 'COMPLETED',
      registrationSuccess: 'FAILED',
      score: { scaled: 40 },
      updated: attempt.toISOString(),
    });
    // SCORM Cloud answers the reconciliation's read slowly, with the state from before the learner's retry.
    await request(stack.sandbox.url)
      .post('/_sandbox/faults')
      .send({ count: 1, delay_ms: 1000, mode: 'slow', prefix: '/scorm/api/v2/registrations/reg-race' })
      .expect((res) => expect(res.status).toBeLessThan(300));
    const reconciling = job.run();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const retried = new Date();
    await postJson(`/api/v1/webhooks/scorm-cloud?token=${token}`, {
      id: 'reg-race',
      registrationCompletion: 'COMPLETED',
      registrationSuccess: 'PASSED',
      score: { scaled: 95 },
      updated: retried.toISOString(),
    });
    const run = await reconciling;
    expect(run).toMatchObject({ failed: 0 });
    expect((await progress('reg-race')).progress).toMatchObject({ score: 95, source: 'postback', success: 'PASSED' });

    // That postback came after the read began, so it is still unconfirmed: the next pass reads the API again.
    recordUpstream('reg-race', { score: 95, success: 'PASSED', updated: retried });
    const next = await job.run();
    expect(next.refreshed).toBeGreaterThanOrEqual(1);
    expect((await progress('reg-race')).progress).toMatchObject({ score: 95, source: 'api', success: 'PASSED' });
  });

  it('marks a registration SCORM Cloud no longer knows as deleted upstream, keeps its progress, and stops asking', async () => {
    await register('reg-gone-upstream');
    await request(stack.gateway.url)
      .post('/api/v1/webhooks/scorm-cloud')
      .set('Authorization', BASIC)
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify({
          id: 'reg-gone-upstream',
          registrationCompletion: 'INCOMPLETE',
          updated: new Date().toISOString(),
        }),
      )
      .expect(200);
    sandbox.deleteRegistration(TEST_SECRETS.scormAppId, 'reg-gone-upstream');
    const run = await job.run();
    expect(run).toMatchObject({ deletedUpstream: 1, failed: 0 });
    const after = await request(stack.gateway.url)
      .get('/api/v1/scorm/registrations/reg-gone-upstream')
      .set(bearer(TEST_API_KEY))
      .expect(200);
    expect(after.body).toMatchObject({ progress: { completion: 'INCOMPLETE' }, status: 'deleted_upstream' });
    expect(after.body.deleted_upstream_at).not.toBeNull();
    expect(await due('reg-gone-upstream')).toBe(false);
  });
});
