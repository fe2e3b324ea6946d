import request from 'supertest';

import { bazaarUser, browse, materialsOf, newSession, postForm } from './bazaar-e2e.helpers';
import { ScormSandboxStore } from '../apps/sandbox/src/scorm-cloud/scorm-sandbox.store';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { DatabaseInspector, inspectDatabase } from './support/database-inspector';
import { clearFaults, setFault } from './support/sandbox-faults';
import { waitFor } from './support/scorm-player';
import { RunningGateway, RunningStack, TEST_SECRETS, startGateway, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const admin = bearer(TEST_API_KEY);
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const REALM_USER = 'realm-admin@sandbox.example';
/** The erased learner's names: after the deletion they appear nowhere in the gateway's database. */
const FIRST = 'Eerikki';
const LAST = 'Poistettava';
const SEED_UID = 'dc38da67-bb73-4062-8c67-a6e76e6c8f69';

/**
 * DELETE /api/v1/learners/{id} end to end: SCORM Cloud asked (the registrations deleted; v2 also delete-information
 * on behalf of the realm user) through the sandbox, every local trace of the learner gone (Bazaar's too),
 * `learner.deleted` appended, the same receipt on a repeat, and nothing erased when SCORM Cloud fails.
 */
describe.each(['v2', 'v1'] as const)('learner data deletion over the %s transport', (api) => {
  let stack: RunningStack;
  let gateway: RunningGateway;
  let db: DatabaseInspector;
  let store: ScormSandboxStore;
  let sequence = 0;

  beforeAll(async () => {
    stack = await startStack({
      gatewayOverrides: {
        SCORM_CLOUD_API: api,
        SCORM_CLOUD_REALM_USER_EMAIL: REALM_USER,
        WEBHOOK_RECONCILE_INTERVAL_MS: '0',
      },
    });
    gateway = stack.gateway;
    store = stack.sandbox.app.get(ScormSandboxStore);
    db = await inspectDatabase(gateway.database);
    await request(gateway.url)
      .post('/api/v1/scorm/courses?course_id=erase-101')
      .set(admin)
      .attach('file', scormPackage('Erase 101'), { filename: 'erase-101.zip' })
      .expect(201);
  });
  afterAll(async () => {
    await db?.close();
    await stack?.close();
  });

  const register = async (learner: string, first = FIRST, last = LAST) => {
    const id = `erase-${api}-${++sequence}`;
    await request(gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(admin)
      .send({
        course_id: 'erase-101',
        learner_first_name: first,
        learner_id: learner,
        learner_last_name: last,
        registration_id: id,
      })
      .expect(201);
    return id;
  };
  const postback = (id: string, learner: string, minute: number, last = LAST) =>
    request(gateway.url)
      .post('/api/results')
      .set('Authorization', BASIC)
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify({
          course: { id: 'erase-101', title: 'Erase 101', version: 0 },
          id,
          instance: 0,
          learner: { firstName: FIRST, id: learner, lastName: last },
          registrationCompletion: 'INCOMPLETE',
          registrationSuccess: 'UNKNOWN',
          updated: `2026-11-20T10:${String(minute).padStart(2, '0')}:00.000Z`,
        }),
      )
      .expect(200);
  const rowsNaming = async (text: string) => {
    const hits: string[] = [];
    for (const table of await db.tables()) {
      const rows = await db.query<Record<string, unknown>>(`SELECT * FROM ${table}`);
      if (rows.some((row) => JSON.stringify(row).includes(text))) hits.push(table);
    }
    return hits;
  };
  /** A teacher adds Bazaar's seed material to `contextId` through a real browse session and store form. */
  const addMaterial = async (teacherId: string, contextId: string) => {
    const token = await userToken(teacherId, 'teacher');
    const session = await newSession(
      gateway,
      stack.sandbox,
      token,
      bazaarUser({ context_id: contextId, user_id: teacherId }),
    );
    const pick = session.forms.find((f) => f.uid === SEED_UID)!;
    expect((await postForm(pick.action, { params: pick.params })).status).toBe(303);
  };
  const view = async (userId: string, contextId: string) =>
    request(gateway.url)
      .post('/api/v1/bazaar/view')
      .set(bearer(await userToken(userId, 'student')))
      .send({ ...bazaarUser({ context_id: contextId, role: 'student', user_id: userId }), resource_uid: SEED_UID })
      .expect(200);
  const deletedEvents = (learner: string) =>
    db.query<{ payload: string }>("SELECT payload FROM events WHERE type = 'learner.deleted' AND learner_id = $1", [
      learner,
    ]);

  it("erases the learner here and on SCORM Cloud, keeps everyone else's data, and announces learner.deleted", async () => {
    const learner = `erase-me-${api}`;
    const mine = [await register(learner), await register(learner)];
    const other = await register(`keep-me-${api}`, 'Aino', 'Virtanen');
    for (const [i, id] of mine.entries()) {
      await postback(id, learner, i);
      await postback(id, learner, 10 + i);
    }
    await postback(other, `keep-me-${api}`, 20, 'Virtanen');
    await postback(other, `keep-me-${api}`, 21, 'Virtanen');
    expect(await rowsNaming(LAST)).toEqual(expect.arrayContaining(['scorm_registrations', 'webhook_events']));
    // Bazaar knows the same person by the same LMS user id: two views as a student, and, as a teacher of another
    // course, a material added (one used browse session) and a browse session left open.
    const course = `erase-course-${api}`;
    const own = `erase-own-${api}`;
    await addMaterial(`keep-teacher-${api}`, course);
    await view(learner, course);
    await view(learner, course);
    await view(`keep-me-${api}`, course);
    await addMaterial(learner, own);
    // ...and one they added to a third course and removed again: both material events name them.
    const gone = `erase-gone-${api}`;
    await addMaterial(learner, gone);
    await request(gateway.url)
      .delete(`/api/v1/contexts/${gone}/materials/${SEED_UID}`)
      .set(bearer(await userToken(learner, 'teacher')))
      .expect(204);
    const naming = (id: string) =>
      db.query<{ type: string }>('SELECT type FROM events WHERE payload LIKE $1 ORDER BY seq', [`%${id}%`]);
    expect((await naming(learner)).map((event) => event.type)).toEqual([
      'registration.progress_changed',
      'registration.progress_changed',
      'bazaar.material_added',
      'bazaar.material_added',
      'bazaar.material_removed',
    ]);
    expect(
      (
        await browse(gateway, await userToken(learner, 'teacher'), {
          ...bazaarUser({ context_id: own, user_id: learner }),
          return_url: `${stack.sandbox.url}/demo?course=${own}`,
        })
      ).status,
    ).toBe(200);
    const bazaarRows = (table: string, column: string, id: string) =>
      db.query<Record<string, unknown>>(`SELECT * FROM ${table} WHERE ${column} = $1`, [id]);
    expect(await bazaarRows('bazaar_material_views', 'user_id', learner)).toHaveLength(2);

    const res = await request(gateway.url).delete(`/api/v1/learners/${learner}`).set(admin).expect(200);
    expect(res.body).toMatchObject({
      erased: {
        bazaar_browse_states: 3,
        bazaar_material_views: 2,
        bazaar_materials_added_by: 1,
        postbacks: 4,
        progress: 2,
        registrations: 2,
      },
      learner_id: learner,
      receipt_id: expect.stringMatching(/^del_/),
      repeated: false,
      scorm_cloud:
        api === 'v2'
          ? {
              api,
              registrations_already_gone: 0,
              registrations_deleted: 2,
              request: 'DELETE /registrations/{registrationId}, POST /learner/{learnerId}/delete-information',
              status: 'accepted',
            }
          : { api, registrations_already_gone: 0, registrations_deleted: 2, status: 'deleted' },
    });

    // Bazaar: no view or browse state carries the learner's id; the material they added stays, without it.
    expect(await bazaarRows('bazaar_material_views', 'user_id', learner)).toEqual([]);
    expect(await bazaarRows('bazaar_browse_states', 'user_id', learner)).toEqual([]);
    expect(await bazaarRows('bazaar_materials', 'added_by', learner)).toEqual([]);
    expect(await bazaarRows('bazaar_material_views', 'user_id', `keep-me-${api}`)).toHaveLength(1);
    expect(await bazaarRows('bazaar_browse_states', 'user_id', `keep-teacher-${api}`)).toHaveLength(1);
    const teacherToken = await userToken(`keep-teacher-${api}`, 'teacher');
    expect(await materialsOf(gateway, teacherToken, own)).toEqual([
      expect.objectContaining({ added_by: '', uid: SEED_UID }),
    ]);
    expect(await materialsOf(gateway, teacherToken, course)).toEqual([
      expect.objectContaining({ added_by: `keep-teacher-${api}`, uid: SEED_UID }),
    ]);

    // Nothing here names the learner any more; the other learner's registration and postbacks are untouched.
    expect(await rowsNaming(LAST)).toEqual([]);
    // Their events went too (the outbox names the learner by id), but for the one announcing the erasure.
    const left = await db.query<{ type: string }>('SELECT type FROM events WHERE learner_id = $1', [learner]);
    expect(left.map((event) => event.type)).toEqual(['learner.deleted']);
    // No event payload names them either (the material events went with the rest), but the one announcing it.
    expect((await naming(learner)).map((event) => event.type)).toEqual(['learner.deleted']);
    expect((await naming(`keep-teacher-${api}`)).map((event) => event.type)).toEqual(['bazaar.material_added']);
    expect(res.body.erased.events).toBeGreaterThanOrEqual(2);
    const others = await db.query<{ type: string }>('SELECT type FROM events WHERE learner_id = $1', [
      `keep-me-${api}`,
    ]);
    expect(others.length).toBeGreaterThanOrEqual(1);
    const progress = await request(gateway.url).get(`/api/v1/scorm/learners/${learner}/progress`).set(admin);
    expect(progress.body.registrations).toEqual([]);
    await request(gateway.url).get(`/api/v1/scorm/registrations/${other}`).set(admin).expect(200);
    const otherEvents = await request(gateway.url)
      .get(`/api/v1/webhooks/events?registration_id=${other}`)
      .set(admin)
      .expect(200);
    expect(otherEvents.body.items).toHaveLength(2);

    // SCORM Cloud's side, as the sandbox saw it.
    if (api === 'v2') {
      const erasure = await waitFor(async () =>
        store.learnerErasures.find((e) => e.learnerId === learner && e.erasedAt !== undefined),
      );
      expect(erasure).toMatchObject({ appId: TEST_SECRETS.scormAppId, userEmail: REALM_USER });
    }
    // The registrations (names and results) are gone upstream on both APIs, not merely stripped of the names.
    for (const id of mine) expect(store.registration(TEST_SECRETS.scormAppId, id)).toBeUndefined();
    expect(store.registration(TEST_SECRETS.scormAppId, other)?.learner.lastName).toBe('Virtanen');

    const events = await deletedEvents(learner);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0].payload)).toMatchObject({
      data: { learner_id: learner, receipt_id: res.body.receipt_id },
      type: 'learner.deleted',
    });

    // Idempotent: the same receipt, no second event, nothing asked of SCORM Cloud again.
    const erasuresBefore = store.learnerErasures.length;
    const again = await request(gateway.url).delete(`/api/v1/learners/${learner}`).set(admin).expect(200);
    expect(again.body).toEqual({ ...res.body, repeated: true });
    expect(await deletedEvents(learner)).toHaveLength(1);
    expect(store.learnerErasures.length).toBe(erasuresBefore);

    // Data made since (a Bazaar view needs no registration) is not hidden behind the old receipt: a new deletion
    // erases it, and its receipt is then the one repeated.
    await view(learner, course);
    const later = await request(gateway.url).delete(`/api/v1/learners/${learner}`).set(admin).expect(200);
    expect(later.body).toMatchObject({
      erased: { bazaar_material_views: 1, registrations: 0 },
      repeated: false,
      scorm_cloud: { registrations_already_gone: 0, registrations_deleted: 0 },
    });
    expect(later.body.receipt_id).not.toBe(res.body.receipt_id);
    expect(await bazaarRows('bazaar_material_views', 'user_id', learner)).toEqual([]);
    const last = await request(gateway.url).delete(`/api/v1/learners/${learner}`).set(admin).expect(200);
    expect(last.body).toEqual({ ...later.body, repeated: true });
  });

  it('erases nothing when SCORM Cloud fails, and succeeds when asked again', async () => {
    const learner = `erase-later-${api}`;
    const id = await register(learner);
    await postback(id, learner, 30);
    const prefix = api === 'v2' ? '/scorm/api/v2/learner' : '/scorm/api';
    await setFault(stack.sandbox, { mode: 'status_500', prefix });
    try {
      const res = await request(gateway.url).delete(`/api/v1/learners/${learner}`).set(admin);
      expect({ code: res.body.code, status: res.status }).toEqual({ code: expect.any(String), status: 502 });
      expect(res.body.message).toMatch(/SCORM Cloud/);
    } finally {
      await clearFaults(stack.sandbox);
    }
    await request(gateway.url).get(`/api/v1/scorm/registrations/${id}`).set(admin).expect(200);
    expect(await deletedEvents(learner)).toEqual([]);
    const res = await request(gateway.url).delete(`/api/v1/learners/${learner}`).set(admin).expect(200);
    expect(res.body.erased).toMatchObject({ postbacks: 1, registrations: 1 });
    // v2 deleted the registration before delete-information failed: the repeat finds it already gone (404).
    expect(res.body.scorm_cloud).toMatchObject(
      api === 'v2'
        ? { registrations_already_gone: 1, registrations_deleted: 0 }
        : { registrations_already_gone: 0, registrations_deleted: 1 },
    );
    expect(store.registration(TEST_SECRETS.scormAppId, id)).toBeUndefined();
    await request(gateway.url).get(`/api/v1/scorm/registrations/${id}`).set(admin).expect(404);
  });

  it('is for admins only, and validates the learner id', async () => {
    for (const role of ['student', 'teacher'] as const) {
      const res = await request(gateway.url)
        .delete('/api/v1/learners/someone')
        .set(bearer(await userToken('someone', role)));
      expect(res.status).toBe(403);
    }
    await request(gateway.url).delete('/api/v1/learners/someone').expect(401);
    const long = await request(gateway.url)
      .delete(`/api/v1/learners/${'x'.repeat(256)}`)
      .set(admin)
      .expect(400);
    expect(Object.keys(long.body.details)).toEqual(['learner_id']);
  });

  it('answers a receipt for a learner the gateway never knew (SCORM Cloud is still asked on v2)', async () => {
    const res = await request(gateway.url).delete(`/api/v1/learners/stranger-${api}`).set(admin).expect(200);
    expect(res.body).toMatchObject({
      erased: { bazaar_material_views: 0, postbacks: 0, progress: 0, registrations: 0 },
      repeated: false,
      scorm_cloud: { registrations_already_gone: 0, registrations_deleted: 0 },
    });
    expect(res.body.scorm_cloud.status).toBe(api === 'v2' ? 'accepted' : 'deleted');
  });

  if (api === 'v2') {
    it('refuses on v2 without SCORM_CLOUD_REALM_USER_EMAIL, before anything is erased (503)', async () => {
      const bare = await startGateway({
        overrides: { SCORM_CLOUD_API: 'v2', WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
        sandboxPort: stack.sandbox.port,
      });
      try {
        const res = await request(bare.url).delete('/api/v1/learners/anyone').set(admin).expect(503);
        expect(res.body.code).toBe('LEARNER_DELETION_NOT_CONFIGURED');
        expect(res.body.message).toMatch(/SCORM_CLOUD_REALM_USER_EMAIL/);
      } finally {
        await bare.close();
      }
    });

    it('the sandbox deletes a registration as RegistrationApi.deleteRegistration does: 204, then 404; 401 unauthenticated', async () => {
      const id = await register(`erase-direct-${api}`);
      const url = `${stack.sandbox.url}/scorm/api/v2/registrations/${id}`;
      const auth = `Basic ${Buffer.from(`${TEST_SECRETS.scormAppId}:${TEST_SECRETS.scormSecret}`).toString('base64')}`;
      expect((await fetch(url, { method: 'DELETE' })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: auth }, method: 'DELETE' })).status).toBe(204);
      expect(store.registration(TEST_SECRETS.scormAppId, id)).toBeUndefined();
      expect((await fetch(url, { headers: { authorization: auth }, method: 'DELETE' })).status).toBe(404);
      // The gateway still knows it: deleting the learner counts it as already gone upstream.
      const res = await request(gateway.url).delete(`/api/v1/learners/erase-direct-${api}`).set(admin).expect(200);
      expect(res.body.scorm_cloud).toMatchObject({ registrations_already_gone: 1, registrations_deleted: 0 });
    });

    it('the sandbox refuses a userEmail that is no realm user, and a missing one, as the definition does', async () => {
      const auth = `Basic ${Buffer.from(`${TEST_SECRETS.scormAppId}:${TEST_SECRETS.scormSecret}`).toString('base64')}`;
      const missing = await fetch(`${stack.sandbox.url}/scorm/api/v2/learner/x/delete-information`, {
        headers: { authorization: auth },
        method: 'POST',
      });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { message: string }).message).toMatch(/userEmail/);
      const stranger = await fetch(
        `${stack.sandbox.url}/scorm/api/v2/learner/x/delete-information?userEmail=someone%40else.example`,
        { headers: { authorization: auth }, method: 'POST' },
      );
      expect(stranger.status).toBe(400);
    });
  }
});
