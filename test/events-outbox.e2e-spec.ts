import request from 'supertest';

import { CourseImportWatcher } from '../libs/scorm-cloud/src/courses/course-import.watcher';
import { bazaarUser, browse, openStore, postForm } from './bazaar-e2e.helpers';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { DatabaseInspector, inspectDatabase } from './support/database-inspector';
import { RunningStack, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const admin = bearer(TEST_API_KEY);

interface OutboxRow {
  seq: number | string;
  id: string;
  type: string;
  course_id: string | null;
  context_id: string | null;
  payload: string;
}

/**
 * The outbox (libs/events) from outside: the changes the REST API makes are announced once each, in the database
 * the gateway writes, with thin payloads. Registration events are covered in progress-projection and scorm-results.
 */
describe('the event outbox: what a change announces', () => {
  let stack: RunningStack;
  let db: DatabaseInspector;

  beforeAll(async () => {
    stack = await startStack({ gatewayOverrides: { SCORM_IMPORT_WATCH_INTERVAL_MS: '0' } });
    db = await inspectDatabase(stack.gateway.database);
  });
  afterAll(async () => {
    await db?.close();
    await stack?.close();
  });

  const announced = async (type: string, where: Partial<Pick<OutboxRow, 'course_id' | 'context_id'>> = {}) => {
    const rows = await db.query<OutboxRow>('SELECT * FROM events WHERE type = $1 ORDER BY seq', [type]);
    return rows
      .filter((row) => Object.entries(where).every(([key, value]) => row[key as keyof OutboxRow] === value))
      .map((row) => ({ ...row, payload: JSON.parse(row.payload) }));
  };

  it('announces a finished course import once, successful or not, however often its job is read', async () => {
    const ok = await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=outbox-101')
      .set(admin)
      .attach('file', scormPackage('Outbox 101'), { filename: 'outbox-101.zip' })
      .expect(201);
    for (let i = 0; i < 2; i++) {
      await request(stack.gateway.url)
        .get(`/api/v1/scorm/courses/import-jobs/${ok.body.job_id}`)
        .set(admin)
        .expect(200);
    }
    const [finished, ...more] = await announced('course.import_finished', { course_id: 'outbox-101' });
    expect(more).toEqual([]);
    expect(finished.id).toMatch(/^evt_[0-9a-f-]{36}$/);
    expect(finished.payload).toEqual({
      data: {
        course_id: 'outbox-101',
        job_id: ok.body.job_id,
        message: null,
        status: 'COMPLETE',
        success: true,
        title: 'Outbox 101',
      },
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      type: 'course.import_finished',
    });

    await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=outbox-broken')
      .set(admin)
      .attach('file', scormPackage('x').subarray(0, 30), { filename: 'broken.zip' })
      .expect(400);
    const [failed, ...again] = await announced('course.import_finished', { course_id: 'outbox-broken' });
    expect(again).toEqual([]);
    expect(failed.payload.data).toMatchObject({ status: 'ERROR', success: false });
    expect(failed.payload.data.message).toMatch(/imsmanifest/);
  });

  it('follows an import nobody waited for to its end and announces it once, on one pass only', async () => {
    const res = await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=outbox-later')
      .set(admin)
      .attach('file', scormPackage('Later'), { filename: 'later.zip' })
      .expect(201);
    // As if the caller had stopped waiting (202) while SCORM Cloud was still importing.
    await db.query('DELETE FROM events WHERE course_id = $1', ['outbox-later']);
    await db.query(
      "UPDATE scorm_course_imports SET finished_at = NULL, status = 'RUNNING', checked_at = $1 WHERE job_id = $2",
      ['2000-01-01T00:00:00.000Z', res.body.job_id],
    );
    const watcher = stack.gateway.app.get(CourseImportWatcher);
    expect(await watcher.run()).toBeGreaterThanOrEqual(1);
    expect(await watcher.run()).toBe(0);
    const rows = await announced('course.import_finished', { course_id: 'outbox-later' });
    expect(rows.map((row) => row.payload.data.status)).toEqual(['COMPLETE']);
    const [stored] = await db.query<{ status: string; finished_at: string | null }>(
      'SELECT status, finished_at FROM scorm_course_imports WHERE job_id = $1',
      [res.body.job_id],
    );
    expect(stored.status).toBe('COMPLETE');
    expect(stored.finished_at).not.toBeNull();
  });

  it('announces Bazaar materials added to and removed from a course, and nothing for a refused removal', async () => {
    const teacher = await userToken('teacher-outbox', 'teacher');
    const res = await browse(stack.gateway, teacher, {
      ...bazaarUser({ context_id: 'course-outbox', user_id: 'teacher-outbox' }),
      return_url: `${stack.sandbox.url}/demo?course=course-outbox`,
    });
    expect(res.status).toBe(200);
    const store = await openStore(res.body.browse_url);
    const pick = store.forms[0];
    expect((await postForm(pick.action, { params: pick.params })).status).toBe(303);
    const [added, ...moreAdded] = await announced('bazaar.material_added', { context_id: 'course-outbox' });
    expect(moreAdded).toEqual([]);
    expect(added.payload.data).toEqual({
      added_by: 'teacher-outbox',
      context_id: 'course-outbox',
      material_uid: pick.uid,
      name: expect.any(String),
    });

    await request(stack.gateway.url)
      .delete(`/api/v1/contexts/course-outbox/materials/${encodeURIComponent(pick.uid)}`)
      .set(bearer(teacher))
      .expect(204);
    await request(stack.gateway.url)
      .delete(`/api/v1/contexts/course-outbox/materials/${encodeURIComponent(pick.uid)}`)
      .set(bearer(teacher))
      .expect(404);
    const removed = await announced('bazaar.material_removed', { context_id: 'course-outbox' });
    expect(removed.map((row) => row.payload.data)).toEqual([
      { context_id: 'course-outbox', material_uid: pick.uid, removed_by: expect.stringContaining('teacher-outbox') },
    ]);
  });
});
