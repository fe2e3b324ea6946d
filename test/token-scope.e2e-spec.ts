import request from 'supertest';

import { BazaarLinkStore } from '../apps/sandbox/src/bazaar/bazaar-link.store';
import { ScormSandboxStore } from '../apps/sandbox/src/scorm-cloud/scorm-sandbox.store';
import { bazaarUser, openStore, postForm } from './bazaar-e2e.helpers';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { DatabaseInspector, inspectDatabase } from './support/database-inspector';
import { RunningStack, TEST_SECRETS, startStack } from './support/stack';
import { TEST_API_KEY, TEST_SCOPE, bearer, userToken } from './support/tokens';

/**
 * The happy paths with scoped user tokens: a body may leave out everything the token says, and what Bazaar and
 * SCORM Cloud receive, and what the gateway records, is the token's. The refusals are in the forgery suite.
 */
describe('scoped user tokens fill and bind the request', () => {
  let stack: RunningStack;
  let db: DatabaseInspector;
  let teacher: string;
  let student: string;
  const course = { context_id: 'course-21', context_title: 'Äidinkieli 7A' };
  const school = { city: 'Helsinki', school: 'Kallion yhtenäiskoulu' };

  beforeAll(async () => {
    stack = await startStack();
    db = await inspectDatabase(stack.gateway.database);
    teacher = await userToken('teacher-1', 'teacher', { scope: true });
    student = await userToken('student-1', 'student', {
      scope: { email: 'sami.oppilas@koulu.example.fi', family_name: 'Oppilas', given_name: 'Sami' },
    });
    await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=safety-101')
      .set(bearer(TEST_API_KEY))
      .attach('file', scormPackage('Safety 101'), { contentType: 'application/zip', filename: 'safety-101.zip' })
      .expect(201);
  });
  afterAll(async () => {
    await db?.close();
    await stack?.close();
  });

  /** What the sandbox Bazaar received for a one-time link (taking the link, as opening it would). */
  const linkArgs = (kind: 'browse' | 'view', url: string) => {
    const token = new URL(url).pathname.split('/').pop() as string;
    return stack.sandbox.app.get(BazaarLinkStore).take(kind, token)?.args;
  };
  const tokenUser = {
    city_id: TEST_SCOPE.city_id,
    email: TEST_SCOPE.email,
    first_name: TEST_SCOPE.given_name,
    last_name: TEST_SCOPE.family_name,
    role: 'teacher',
    school_id: TEST_SCOPE.school_id,
    user_id: 'teacher-1',
  };

  it('refuses a malformed scope claim with 401 naming it, in any environment', async () => {
    for (const [claim, value] of [
      ['school_id', '12'],
      ['contexts', [{ id: 'c-1', role: 'teacher' }]],
      ['email', 'not-an-address'],
    ] as const) {
      const res = await request(stack.gateway.url)
        .get('/api/v1/me')
        .set(bearer(await userToken('teacher-7', 'teacher', { scope: { [claim]: value } })))
        .expect(401);
      expect(res.body).toMatchObject({ code: 'TOKEN_INVALID', statusCode: 401 });
      expect(res.body.message).toContain(`"${claim}"`);
    }
  });

  it("browses with only the course in the body: Bazaar receives the token's user, school, city, names and email", async () => {
    const browse = () =>
      request(stack.gateway.url)
        .post('/api/v1/bazaar/browse')
        .set(bearer(teacher))
        .send({ ...course, ...school, return_url: `${stack.sandbox.url}/demo` })
        .expect(200);
    expect(linkArgs('browse', (await browse()).body.browse_url)).toMatchObject({
      ...tokenUser,
      context_id: 'course-21',
    });
    const store = await openStore((await browse()).body.browse_url);
    expect((await postForm(store.forms[0].action, { params: store.forms[0].params })).status).toBe(303);
    const materials = await request(stack.gateway.url)
      .get('/api/v1/contexts/course-21/materials')
      .set(bearer(student))
      .expect(200);
    expect(materials.body.materials).toEqual([
      expect.objectContaining({ added_by: 'teacher-1', uid: store.forms[0].uid }),
    ]);
  });

  it("views with only the course and material: Bazaar gets the token's identity, and the view log records it", async () => {
    const uid = (
      await request(stack.gateway.url).get('/api/v1/contexts/course-21/materials').set(bearer(student)).expect(200)
    ).body.materials[0].uid as string;
    const res = await request(stack.gateway.url)
      .post('/api/v1/bazaar/view')
      .set(bearer(student))
      .send({ ...course, ...school, resource_uid: uid })
      .expect(200);
    expect(linkArgs('view', res.body.view_url)).toMatchObject({
      city_id: TEST_SCOPE.city_id,
      context_id: 'course-21',
      email: 'sami.oppilas@koulu.example.fi',
      first_name: 'Sami',
      last_name: 'Oppilas',
      role: 'student',
      school_id: TEST_SCOPE.school_id,
      user_id: 'student-1',
    });
    const views = await db.query<{ user_id: string; role: string; outcome: string }>(
      'SELECT user_id, role, outcome FROM bazaar_material_views',
    );
    expect(views).toEqual([{ outcome: 'opened', role: 'student', user_id: 'student-1' }]);
  });

  it("accepts a body that repeats the token, the email in another case; Bazaar gets the token's spelling", async () => {
    const res = await request(stack.gateway.url)
      .post('/api/v1/bazaar/browse')
      .set(bearer(teacher))
      .send({ ...bazaarUser({ email: TEST_SCOPE.email.toUpperCase() }), return_url: `${stack.sandbox.url}/demo` })
      .expect(200);
    expect(linkArgs('browse', res.body.browse_url)).toMatchObject(tokenUser);
  });

  it('asks an API key for every user field it leaves out, naming each (400), and sends nothing', async () => {
    const res = await request(stack.gateway.url)
      .post('/api/v1/bazaar/browse')
      .set(bearer(TEST_API_KEY))
      .send({ ...course, ...school, return_url: `${stack.sandbox.url}/demo` })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(res.body.details).sort()).toEqual(
      ['city_id', 'first_name', 'last_name', 'role', 'school_id', 'user_id'].sort(),
    );
  });

  it("enrols a student from the token alone: SCORM Cloud gets the token's names; the course's teacher manages it", async () => {
    const created = await request(stack.gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(bearer(student))
      .send({ context_id: 'course-21', course_id: 'safety-101', registration_id: 'reg-scoped' })
      .expect(201);
    expect(created.body).toMatchObject({
      context_id: 'course-21',
      learner_first_name: 'Sami',
      learner_id: 'student-1',
      learner_last_name: 'Oppilas',
    });
    const upstream = stack.sandbox.app.get(ScormSandboxStore).registration(TEST_SECRETS.scormAppId, 'reg-scoped');
    expect(upstream?.learner).toEqual({ firstName: 'Sami', id: 'student-1', lastName: 'Oppilas' });

    await request(stack.gateway.url)
      .post('/api/v1/scorm/registrations/reg-scoped/launch')
      .set(bearer(student))
      .send({})
      .expect(200);
    const own = await request(stack.gateway.url)
      .get('/api/v1/scorm/learners/student-1/progress')
      .set(bearer(student))
      .expect(200);
    expect(own.body.registrations.map((r: { id: string }) => r.id)).toEqual(['reg-scoped']);

    await request(stack.gateway.url)
      .get('/api/v1/scorm/registrations/reg-scoped?refresh=true')
      .set(bearer(teacher))
      .expect(200);
    await request(stack.gateway.url)
      .post('/api/v1/scorm/registrations/reg-scoped/reset')
      .set(bearer(teacher))
      .expect(200);
    const taught = await request(stack.gateway.url)
      .get('/api/v1/scorm/learners/student-1/progress')
      .set(bearer(teacher))
      .expect(200);
    expect(taught.body.registrations.map((r: { id: string }) => r.id)).toEqual(['reg-scoped']);
    await request(stack.gateway.url).delete('/api/v1/scorm/registrations/reg-scoped').set(bearer(teacher)).expect(204);
    expect(
      stack.sandbox.app.get(ScormSandboxStore).registration(TEST_SECRETS.scormAppId, 'reg-scoped'),
    ).toBeUndefined();
  });

  it('lets a teacher enrol a learner by name in their course; a scoped student or teacher must name the course', async () => {
    const res = await request(stack.gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(bearer(teacher))
      .send({
        context_id: 'course-21',
        course_id: 'safety-101',
        learner_first_name: 'Aino',
        learner_id: 'student-2',
        learner_last_name: 'Virtanen',
      })
      .expect(201);
    expect(res.body).toMatchObject({ learner_first_name: 'Aino', learner_id: 'student-2' });
    const missing = await request(stack.gateway.url)
      .post('/api/v1/scorm/registrations')
      .set(bearer(student))
      .send({ course_id: 'safety-101' })
      .expect(400);
    expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { context_id: [expect.any(String)] } });
  });
});
