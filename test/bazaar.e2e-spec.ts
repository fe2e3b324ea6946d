import { randomBytes } from 'node:crypto';
import request from 'supertest';

import {
  base64Json,
  bazaarUser,
  browse,
  dataSourceOf,
  expectErrorShape,
  materialsOf,
  newSession,
  openStore,
  postForm,
} from './bazaar-e2e.helpers';
import { RunningStack, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

const SEED_UID = 'dc38da67-bb73-4062-8c67-a6e76e6c8f69';
const FINNISH_UID = '5f0c2b8e-6a3d-4f1e-9b7a-2c4d6e8f0a1b';
const RECORD_ID_UID = 'finna.kansalliskirjasto:1234567';

describe('Bazaar round trip (gateway + sandbox Bazaar over HTTP)', () => {
  let stack: RunningStack;
  let teacher: string;
  let student: string;

  beforeAll(async () => {
    stack = await startStack();
    teacher = await userToken('teacher-1', 'teacher');
    student = await userToken('student-1', 'student');
  });
  afterAll(() => stack?.close());

  const gw = () => stack.gateway;
  const sb = () => stack.sandbox;

  it('browses, picks in the store, posts the form back, lists, views and opens the one-time view URL', async () => {
    const returnUrl = `${sb().url}/demo?course=course-21`;
    const res = await browse(gw(), teacher, { ...bazaarUser(), return_url: returnUrl }).then((r) => r);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.browse_url).toMatch(new RegExp(`^${sb().url}/bazaar/store/[0-9a-f]{64}$`));
    const expiresIn = Date.parse(res.body.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(50_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);

    const store = await openStore(res.body.browse_url);
    expect(store.forms.map((f) => f.uid)).toEqual(expect.arrayContaining([SEED_UID, FINNISH_UID, RECORD_ID_UID]));
    const pick = store.forms.find((f) => f.uid === SEED_UID)!;
    expect(pick.action).toMatch(new RegExp(`^${gw().url}/api/v1/bazaar/callbacks/add\\?state=[\\w-]{43}$`));
    expect(store.cancelUrl).toMatch(/\/api\/v1\/bazaar\/callbacks\/cancel\?state=/);
    // The browse URL is one-time.
    expect((await fetch(res.body.browse_url)).status).toBe(410);

    const callback = await postForm(pick.action, { params: pick.params });
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe(`${returnUrl}&bazaar_status=added&count=1`);

    const materials = await materialsOf(gw(), student, 'course-21');
    expect(materials).toEqual([
      expect.objectContaining({
        added_by: 'teacher-1',
        description: 'Long text, Long text, Long text, Long text',
        images: expect.objectContaining({
          thumbnail: { height: 150, url: 'https://bazaar.example/img/thumb.jpg', width: 150 },
        }),
        name: 'Bazaar Example',
        uid: SEED_UID,
      }),
    ]);

    const viewer = bazaarUser({ first_name: 'Ville', last_name: 'Äyräpää', role: 'student', user_id: 'student-1' });
    const first = await request(gw().url)
      .post('/api/v1/bazaar/view')
      .set(bearer(student))
      .send({ ...viewer, resource_uid: SEED_UID, return_url: returnUrl })
      .expect(200);
    expect(first.body.view_url).toMatch(new RegExp(`^${sb().url}/bazaar/view/[0-9a-f]{64}$`));
    expect(Date.parse(first.body.expires_at)).toBeGreaterThan(Date.now());
    const second = await request(gw().url)
      .post('/api/v1/bazaar/view')
      .set(bearer(student))
      .send({ ...viewer, resource_uid: SEED_UID })
      .expect(200);
    expect(second.body.view_url).not.toBe(first.body.view_url);
    expect(second.headers['cache-control']).toBe('no-store');

    const page = await fetch(first.body.view_url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Bazaar Example');
    expect(html).toContain('Opened by Ville Äyräpää (student)');
    expect((await fetch(first.body.view_url)).status).toBe(410);

    const views = await dataSourceOf(gw()).query(
      `SELECT user_id, uid, outcome, viewed_at FROM bazaar_material_views WHERE context_id = 'course-21' ORDER BY viewed_at`,
    );
    expect(views).toHaveLength(2);
    expect(views[0]).toMatchObject({ outcome: 'opened', uid: SEED_UID, user_id: 'student-1' });
  });

  it('stores a Finnish-named material and a record-id uid, and deletes by that uid', async () => {
    const user = bazaarUser({ context_id: 'course-fi' });
    for (const uid of [FINNISH_UID, RECORD_ID_UID]) {
      const session = await newSession(gw(), sb(), teacher, user);
      const form = session.forms.find((f) => f.uid === uid)!;
      const res = await postForm(form.action, { params: form.params });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toContain('bazaar_status=added&count=1');
    }
    const materials = await materialsOf(gw(), teacher, 'course-fi');
    expect(materials.map((m) => m.name)).toEqual([
      'Äidinkieli 7: Sanaluokat ja lauseenjäsennys',
      'Suomen historia: Itsenäisyyden aika',
    ]);
    const recordId = materials.find((m) => m.uid === RECORD_ID_UID)!;
    expect(recordId).toMatchObject({ description: null, images: null });

    await request(gw().url)
      .post('/api/v1/bazaar/view')
      .set(bearer(teacher))
      .send({ ...user, resource_uid: RECORD_ID_UID })
      .expect(200);

    const path = `/api/v1/contexts/course-fi/materials/${encodeURIComponent(RECORD_ID_UID)}`;
    const refused = await request(gw().url).delete(path).set(bearer(student)).expect(403);
    expectErrorShape(refused.body, 403, 'ROLE_FORBIDDEN');
    await request(gw().url).delete(path).set(bearer(teacher)).expect(204);
    const again = await request(gw().url).delete(path).set(bearer(teacher)).expect(404);
    expectErrorShape(again.body, 404, 'MATERIAL_NOT_FOUND');
    expect((await materialsOf(gw(), teacher, 'course-fi')).map((m) => m.uid)).toEqual([FINNISH_UID]);
  });

  it('cancels: the cancel link consumes the state and 303s back; reusing it is refused', async () => {
    const session = await newSession(gw(), sb(), teacher, bazaarUser({ context_id: 'course-cancel' }));
    const res = await fetch(session.cancelUrl!, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${session.returnUrl}&bazaar_status=cancelled`);
    const again = await fetch(session.cancelUrl!, { redirect: 'manual' });
    expect(again.status).toBe(400);
    expectErrorShape(await again.json(), 400, 'BAZAAR_STATE_USED');
    // The add URL of the cancelled session is dead too.
    const late = await postForm(session.forms[0].action, { params: session.forms[0].params });
    expect(late.status).toBe(400);
    expect(await materialsOf(gw(), teacher, 'course-cancel')).toEqual([]);
  });

  describe('forged, replayed and expired callbacks store nothing', () => {
    const material = { name: 'Forged', uid: 'forged-material-1' };

    it('refuses a missing or unknown state with 400', async () => {
      const base = `${gw().url}/api/v1/bazaar/callbacks`;
      const missing = await postForm(`${base}/add`, { params: base64Json(material) });
      expect(missing.status).toBe(400);
      expectErrorShape(await missing.json(), 400, 'BAZAAR_STATE_MISSING');
      const unknown = await postForm(`${base}/add?state=${randomBytes(32).toString('base64url')}`, {
        params: base64Json(material),
      });
      expect(unknown.status).toBe(400);
      expectErrorShape(await unknown.json(), 400, 'BAZAAR_STATE_UNKNOWN');
      const doubled = await postForm(`${base}/add?state=a&state=b`, { params: base64Json(material) });
      expect(doubled.status).toBe(400);
      expectErrorShape(await doubled.json(), 400, 'BAZAAR_STATE_MISSING');
      const cancel = await fetch(`${base}/cancel?state=nope`, { redirect: 'manual' });
      expect(cancel.status).toBe(400);
      expect(await materialsOf(gw(), teacher, 'course-21')).not.toContainEqual(expect.objectContaining(material));
    });

    it('refuses a replayed form post', async () => {
      const session = await newSession(gw(), sb(), teacher, bazaarUser({ context_id: 'course-replay' }));
      const form = session.forms[0];
      expect((await postForm(form.action, { params: form.params })).status).toBe(303);
      const replay = await postForm(form.action, { params: base64Json({ name: 'Replayed', uid: 'replayed-1' }) });
      expect(replay.status).toBe(400);
      expectErrorShape(await replay.json(), 400, 'BAZAAR_STATE_USED');
      expect((await materialsOf(gw(), teacher, 'course-replay')).map((m) => m.uid)).toEqual([form.uid]);
    });

    it('refuses an expired state', async () => {
      const session = await newSession(gw(), sb(), teacher, bazaarUser({ context_id: 'course-expired' }));
      await dataSourceOf(gw()).query(`UPDATE bazaar_browse_states SET expires_at = '2000-01-01T00:00:00.000Z'`);
      const res = await postForm(session.addUrl, { params: session.forms[0].params });
      expect(res.status).toBe(400);
      expectErrorShape(await res.json(), 400, 'BAZAAR_STATE_EXPIRED');
      expect(await materialsOf(gw(), teacher, 'course-expired')).toEqual([]);
    });

    it('lets exactly one of two concurrent posts with one state through', async () => {
      const session = await newSession(gw(), sb(), teacher, bazaarUser({ context_id: 'course-race' }));
      const statuses = await Promise.all(
        [1, 2, 3].map((n) => postForm(session.addUrl, { params: base64Json({ name: `Race ${n}`, uid: `race-${n}` }) })),
      ).then((all) => all.map((r) => r.status).sort());
      expect(statuses).toEqual([303, 400, 400]);
      expect(await materialsOf(gw(), teacher, 'course-race')).toHaveLength(1);
    });
  });

  describe('callback payloads', () => {
    const context = 'course-payloads';
    const session = () => newSession(gw(), sb(), teacher, bazaarUser({ context_id: context }));

    it('accepts raw JSON params, an array of items, and a JSON body, idempotently per uid', async () => {
      const raw = await postForm((await session()).addUrl, {
        params: JSON.stringify({ description: 'Raaka JSON', name: 'Raw one', uid: 'raw-1' }),
      });
      expect(raw.headers.get('location')).toContain('bazaar_status=added&count=1');

      const array = await postForm((await session()).addUrl, {
        params: base64Json([
          { name: 'Array one', uid: 'arr-1' },
          { name: 'Array two', uid: 'arr-2' },
        ]),
      });
      expect(array.headers.get('location')).toContain('bazaar_status=added&count=2');

      const json = await fetch((await session()).addUrl, {
        body: JSON.stringify([{ name: 'Raw one, renamed', uid: 'raw-1' }]),
        headers: { 'Content-Type': 'application/json' },
        method: 'POST',
        redirect: 'manual',
      });
      expect(json.status).toBe(303);

      const materials = await materialsOf(gw(), teacher, context);
      expect(materials.map((m) => [m.uid, m.name])).toEqual([
        ['raw-1', 'Raw one, renamed'],
        ['arr-1', 'Array one'],
        ['arr-2', 'Array two'],
      ]);
    });

    it.each([
      ['not base64', { params: 'this is not base64!!' }],
      ['base64 of non-JSON', { params: Buffer.from('hello').toString('base64') }],
      ['no params field', { other: 'x' }],
      ['missing name', { params: base64Json({ uid: 'bad-1' }) }],
      ['missing uid', { params: base64Json({ name: 'No uid' }) }],
      ['description over 2000', { params: base64Json({ description: 'x'.repeat(2001), name: 'Long', uid: 'bad-2' }) }],
      [
        'image with zero width',
        {
          params: base64Json({
            images: { thumbnail: { height: 1, url: 'https://x.example/a.png', width: 0 } },
            name: 'Img',
            uid: 'bad-3',
          }),
        },
      ],
      [
        'image with ftp url',
        { params: base64Json({ images: { thumbnail: { url: 'ftp://x.example/a.png' } }, name: 'Img', uid: 'bad-4' }) },
      ],
      ['one bad item in an array', { params: base64Json([{ name: 'Good', uid: 'good-1' }, { uid: 'bad-5' }]) }],
      ['empty array', { params: base64Json([]) }],
    ])('refuses %s: 303 with an error outcome, nothing stored, state used up', async (_, fields) => {
      const { addUrl, returnUrl } = await session();
      const before = await materialsOf(gw(), teacher, context);
      const res = await postForm(addUrl, fields as Record<string, string>);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${returnUrl}&bazaar_status=error&bazaar_error=BAZAAR_PARAMS_INVALID`);
      expect(await materialsOf(gw(), teacher, context)).toEqual(before);
      expect((await postForm(addUrl, { params: base64Json({ name: 'Retry', uid: 'retry-1' }) })).status).toBe(400);
    });
  });

  describe('who may do what', () => {
    const returnUrl = () => `${sb().url}/demo`;

    it('refuses a student token on browse with 403', async () => {
      const res = await browse(gw(), student, {
        ...bazaarUser({ role: 'student', user_id: 'student-1' }),
        return_url: returnUrl(),
      });
      expect(res.status).toBe(403);
      expectErrorShape(res.body, 403, 'ROLE_FORBIDDEN');
    });

    it('refuses body user fields that differ from the token', async () => {
      const other = await browse(gw(), teacher, { ...bazaarUser({ user_id: 'teacher-2' }), return_url: returnUrl() });
      expectErrorShape(other.body, 403, 'USER_MISMATCH');
      const role = await browse(gw(), teacher, { ...bazaarUser({ role: 'admin' }), return_url: returnUrl() });
      expectErrorShape(role.body, 403, 'ROLE_MISMATCH');
      const viewAsTeacher = await request(gw().url)
        .post('/api/v1/bazaar/view')
        .set(bearer(student))
        .send({ ...bazaarUser({ user_id: 'student-1' }), resource_uid: SEED_UID })
        .expect(403);
      expectErrorShape(viewAsTeacher.body, 403, 'ROLE_MISMATCH');
    });

    it('refuses a student role on browse even with an API key', async () => {
      const res = await browse(gw(), TEST_API_KEY, { ...bazaarUser({ role: 'student' }), return_url: returnUrl() });
      expectErrorShape(res.body, 403, 'ROLE_FORBIDDEN');
    });

    it('refuses a return_url outside ALLOWED_RETURN_ORIGINS (no open redirect)', async () => {
      const res = await browse(gw(), teacher, { ...bazaarUser(), return_url: 'https://evil.example/phish' });
      expectErrorShape(res.body, 400, 'RETURN_URL_NOT_ALLOWED');
      const view = await request(gw().url)
        .post('/api/v1/bazaar/view')
        .set(bearer(teacher))
        .send({ ...bazaarUser(), resource_uid: SEED_UID, return_url: 'https://evil.example/' });
      expectErrorShape(view.body, 400, 'RETURN_URL_NOT_ALLOWED');
    });

    it('answers 404 when viewing a material that is not in the course', async () => {
      const res = await request(gw().url)
        .post('/api/v1/bazaar/view')
        .set(bearer(teacher))
        .send({ ...bazaarUser({ context_id: 'other-course' }), resource_uid: SEED_UID })
        .expect(404);
      expectErrorShape(res.body, 404, 'MATERIAL_NOT_FOUND');
    });
  });

  it('documents every Bazaar route in the OpenAPI document', async () => {
    const res = await request(gw().url).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/bazaar/browse',
        '/api/v1/bazaar/view',
        '/api/v1/bazaar/callbacks/add',
        '/api/v1/bazaar/callbacks/cancel',
        '/api/v1/contexts/{context_id}/materials',
        '/api/v1/contexts/{context_id}/materials/{uid}',
      ]),
    );
    const schema = res.body.components.schemas.BrowseRequestDto;
    expect(schema.required).toEqual(expect.arrayContaining(['context_id', 'context_title', 'return_url']));
    // Filled from a user token when left out (an API key's missing one is a 400 naming it).
    for (const field of ['first_name', 'last_name', 'school_id', 'city_id', 'user_id', 'role']) {
      expect(schema.required).not.toContain(field);
      expect(schema.properties[field].description).toMatch(/Required with an API key/);
    }
    expect(schema.properties.school_id.description).toMatch(/SCHOOL_ID_MISMATCH/);
    const browseOp = res.body.paths['/api/v1/bazaar/browse'].post;
    expect(browseOp.responses['403'].description).toMatch(/CONTEXT_NOT_IN_TOKEN/);
  });

  describe('argument rules (the Bazaar spec tables)', () => {
    const send = (body: Record<string, unknown>) =>
      browse(gw(), TEST_API_KEY, { ...bazaarUser(), return_url: `${sb().url}/demo`, ...body });

    it.each([
      ['email', { email: 'Teppo' }],
      ['school_id', { school_id: 1235 }],
      ['school_id', { school_id: '12345678901' }],
      ['city_id', { city_id: '01234567890' }],
      ['oid', { oid: 'x'.repeat(33) }],
      ['role', { role: 'principal' }],
      ['first_name', { first_name: '' }],
      ['context_title', { context_title: 'x'.repeat(129) }],
      ['user_id', { user_id: 'x'.repeat(129) }],
      ['user_id', { user_id: { id: 1 } }],
      ['return_url', { return_url: 'javascript:alert(1)' }],
      ['add_resource_callback_url', { add_resource_callback_url: 'https://evil.example/' }],
      ['last_name', { last_name: undefined }],
    ])('refuses a bad %s with 400 naming it', async (field, body) => {
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(Object.keys(res.body.details ?? {})).toContain(field);
      expect(res.body.message).toContain(field);
    });

    it("accepts integer ids (as the Bazaar spec's example sends them) and forwards them as strings", async () => {
      const res = await send({ context_id: 4242, oid: null, school_id: 12345, user_id: 123 });
      expect(res.status).toBe(200);
    });

    it('refuses a bad resource_uid on view', async () => {
      const res = await request(gw().url)
        .post('/api/v1/bazaar/view')
        .set(bearer(TEST_API_KEY))
        .send({ ...bazaarUser(), resource_uid: 'has spaces in it' })
        .expect(400);
      expect(res.body.details).toHaveProperty('resource_uid');
    });
  });
});
