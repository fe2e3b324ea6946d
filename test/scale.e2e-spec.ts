import { RetentionJob } from '@app/persistence';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { insertRegistration } from './support/registrations';
import { RunningGateway, TEST_SECRETS, startGateway } from './support/stack';
import { TEST_API_KEY, bearer } from './support/tokens';

const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const DAY_MS = 86_400_000;

function v2(id: string, updated: string) {
  return {
    course: { id: 'course-1', title: 'Safety 101', version: 0 },
    id,
    instance: 0,
    learner: { firstName: 'Aino', id: 'learner-9', lastName: 'Virtanen' },
    registrationCompletion: 'COMPLETED',
    registrationSuccess: 'PASSED',
    score: { scaled: 85 },
    totalSecondsTracked: 342,
    updated,
  };
}

interface EventItem {
  id: string;
  registration_id: string;
  received_at: string;
  outcome: string;
  raw_body: string;
}

/** An event id made at `ms` (the UUIDv7 layout the gateway uses), for rows written straight to the database. */
function idAt(ms: number, n: number): string {
  const time = ms.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${(n % 4096).toString(16).padStart(3, '0')}-8000-${n.toString(16).padStart(12, '0')}`;
}

describe('lists at scale: cursor paging, filters, retention', () => {
  let gateway: RunningGateway;
  let db: DataSource;
  let postgres: boolean;
  let stamp = Date.parse('2026-01-01T00:00:00.000Z');

  const admin = bearer(TEST_API_KEY);
  const post = (registrationId: string) => {
    stamp += 1000;
    return request(gateway.url)
      .post('/api/results')
      .set('Authorization', BASIC)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(v2(registrationId, new Date(stamp).toISOString())))
      .expect(200);
  };
  const list = async (query: string): Promise<{ items: EventItem[]; next_cursor: string | null; limit: number }> =>
    (await request(gateway.url).get(`/api/v1/webhooks/events?${query}`).set(admin).expect(200)).body;
  const walk = async (query: string, limit: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    return ids;
  };
  /** Old postbacks written straight to the table, as if received `daysAgo` days ago. */
  const insertOld = async (registrationId: string, daysAgo: number, count: number, from = 0) => {
    const mark = (i: number) => (postgres ? `$${i + 1}` : '?');
    for (let i = from; i < from + count; i++) {
      const at = Date.now() - daysAgo * DAY_MS + i;
      const values = [
        idAt(at, i),
        new Date(at).toISOString(),
        'v2_json',
        'POST',
        'application/json',
        `{"old":${i}}`,
        `hash-${daysAgo}-${i}`,
        `old|${daysAgo}|${i}|${registrationId}`,
        registrationId,
        0,
        'UNKNOWN',
        'UNKNOWN',
        'basic',
        postgres ? false : 0,
        'applied',
        postgres ? false : 0,
      ];
      await db.query(
        'INSERT INTO webhook_events (id, received_at, shape, method, content_type, raw_body, body_hash, dedup_key, ' +
          'registration_id, instance, completion, success, auth_method, token_verified, outcome, unknown_registration) ' +
          `VALUES (${values.map((_, j) => mark(j)).join(', ')})`,
        values,
      );
    }
  };

  beforeAll(async () => {
    gateway = await startGateway({
      overrides: { RETENTION_BATCH_SIZE: '7', RETENTION_INTERVAL_MS: '0', WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
    });
    db = gateway.app.get(DataSource);
    postgres = db.options.type === 'postgres';
    await insertRegistration(gateway, 'reg-a1', { courseId: 'course-a', learnerId: 'learner-a' });
    await insertRegistration(gateway, 'reg-a2', { courseId: 'course-b', learnerId: 'learner-a' });
    await insertRegistration(gateway, 'reg-b1', { courseId: 'course-a', learnerId: 'learner-b' });
  });
  afterAll(() => gateway?.close());

  it('pages newest first with next_cursor, stable while postbacks arrive: no repeats, nothing skipped', async () => {
    for (let i = 0; i < 12; i++) await post(['reg-a1', 'reg-a2', 'reg-b1'][i % 3]);
    const before = (await list('limit=200')).items.map((item) => item.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.limit).toBe(5);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
      // Newer postbacks land above the first page while the walk goes on.
      await post('reg-a1');
      await post('reg-unknown-x');
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(before.length / 5));
    expect(seen).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by registration, learner, course, outcome and received time, each paged the same way', async () => {
    const all = (await list('limit=200')).items;
    const regOf = (item: EventItem) => item.registration_id;
    const expectIds = async (query: string, keep: (item: EventItem) => boolean) => {
      const expected = all.filter(keep).map((item) => item.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(await walk(query, 3)).toEqual(expected);
    };
    await expectIds('registration_id=reg-a2', (item) => regOf(item) === 'reg-a2');
    await expectIds('learner_id=learner-a', (item) => ['reg-a1', 'reg-a2'].includes(regOf(item)));
    await expectIds('course_id=course-a', (item) => ['reg-a1', 'reg-b1'].includes(regOf(item)));
    await expectIds('outcome=unknown_registration', (item) => regOf(item) === 'reg-unknown-x');
    await expectIds('outcome=applied', (item) => item.outcome === 'applied');
    await expectIds('course_id=course-a&learner_id=learner-b', (item) => regOf(item) === 'reg-b1');
    const sorted = all.map((item) => item.received_at).sort();
    const from = sorted[4];
    const before = sorted[sorted.length - 4];
    await expectIds(
      `received_from=${from}&received_before=${before}`,
      (item) => item.received_at >= from && item.received_at < before,
    );
    await expectIds(`received_from=${from}&outcome=unknown_registration`, (item) => {
      return item.received_at >= from && regOf(item) === 'reg-unknown-x';
    });
    expect((await list('learner_id=nobody')).items).toEqual([]);
  });

  it('filters a course with many registrations the same as one with a few', async () => {
    for (let i = 0; i < 60; i++) await insertRegistration(gateway, `reg-big-${i}`, { courseId: 'course-big' });
    for (const i of [3, 59, 3, 17, 40, 59, 0]) await post(`reg-big-${i}`);
    const all = (await list('limit=200')).items.filter((item) => item.registration_id.startsWith('reg-big-'));
    expect(all).toHaveLength(7);
    expect(await walk('course_id=course-big', 2)).toEqual(all.map((item) => item.id));
    expect(await walk('course_id=course-big&learner_id=learner-9', 3)).toEqual(all.map((item) => item.id));
    expect(await walk('course_id=course-big&outcome=applied', 3)).toEqual(all.map((item) => item.id));
  });

  it("stores a postback with its registration's learner and course; once the registration is gone neither matches", async () => {
    await insertRegistration(gateway, 'reg-gone', { courseId: 'course-gone', learnerId: 'learner-gone' });
    await post('reg-gone');
    await post('reg-gone');
    await post('reg-never-known');
    const rows = (await db.query(
      'SELECT registration_id, learner_id, course_id FROM webhook_events WHERE registration_id IN ' +
        `(${postgres ? '$1, $2' : '?, ?'}) ORDER BY registration_id`,
      ['reg-gone', 'reg-never-known'],
    )) as { registration_id: string; learner_id: string | null; course_id: string | null }[];
    expect(rows).toEqual([
      { course_id: 'course-gone', learner_id: 'learner-gone', registration_id: 'reg-gone' },
      { course_id: 'course-gone', learner_id: 'learner-gone', registration_id: 'reg-gone' },
      { course_id: null, learner_id: null, registration_id: 'reg-never-known' },
    ]);
    expect(await walk('learner_id=learner-gone', 1)).toHaveLength(2);
    expect(await walk('course_id=course-gone', 1)).toHaveLength(2);
    await db.query(`DELETE FROM scorm_registrations WHERE id = ${postgres ? '$1' : '?'}`, ['reg-gone']);
    expect((await list('learner_id=learner-gone')).items).toEqual([]);
    expect((await list('course_id=course-gone')).items).toEqual([]);
  });

  it('refuses a bad cursor, an unknown outcome, a bad time and an oversized limit with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['cursor=not*base64', 'cursor'],
      [`cursor=${Buffer.from('{"id":1}').toString('base64url')}`, 'cursor'],
      [`cursor=${Buffer.from('[1]').toString('base64url')}`, 'cursor'],
      ['cursor=%00', 'cursor'],
      ['outcome=lost', 'outcome'],
      ['received_from=yesterday', 'received_from'],
      ['limit=201', 'limit'],
    ];
    for (const [query, field] of cases) {
      const res = await request(gateway.url).get(`/api/v1/webhooks/events?${query}`).set(admin);
      expect({ field: Object.keys(res.body.details ?? {}), query, status: res.status }).toEqual({
        field: [field],
        query,
        status: 400,
      });
    }
    const page = await list('limit=1');
    const mixed = await request(gateway.url)
      .get(`/api/v1/webhooks/events?offset=1&cursor=${page.next_cursor}`)
      .set(admin)
      .expect(400);
    expect(Object.keys(mixed.body.details)).toEqual(['cursor']);
  });

  it('pages a course materials list by cursor', async () => {
    const at = new Date('2026-03-01T00:00:00.000Z');
    for (let i = 0; i < 7; i++) {
      await db.query(
        'INSERT INTO bazaar_materials (id, context_id, uid, name, description, images, added_by, added_at, updated_at) ' +
          (postgres ? 'VALUES ($1, $2, $3, $4, NULL, NULL, $5, $6, $6)' : 'VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?)'),
        postgres
          ? [`m-${i}`, 'ctx-page', `uid-${i}`, `Material ${i}`, 't-1', at.toISOString()]
          : [`m-${i}`, 'ctx-page', `uid-${i}`, `Material ${i}`, 't-1', at.toISOString(), at.toISOString()],
      );
    }
    const uids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(gateway.url)
        .get(`/api/v1/contexts/ctx-page/materials?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        .set(admin)
        .expect(200);
      uids.push(...res.body.materials.map((m: { uid: string }) => m.uid));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(uids).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `uid-${i}`));
    const all = await request(gateway.url).get('/api/v1/contexts/ctx-page/materials').set(admin).expect(200);
    expect(all.body).toMatchObject({ limit: 500, next_cursor: null });
    expect(all.body.materials).toHaveLength(7);
    await request(gateway.url).get('/api/v1/contexts/ctx-page/materials?cursor=xyz').set(admin).expect(400);
  });

  it('prunes expired postbacks and raw bodies in small batches under load, keeping everything unexpired', async () => {
    await insertOld('reg-a1', 400, 9, 2000);
    await insertOld('reg-a1', 120, 30);
    await insertOld('reg-b1', 80, 5);
    const retention = gateway.app.get(RetentionJob);
    // Postbacks keep arriving while the pass runs.
    let posting = true;
    const load = (async () => {
      let n = 0;
      while (posting || n < 20) {
        await post(['reg-a1', 'reg-b1', 'reg-a2'][n % 3]);
        n++;
      }
      return n;
    })();
    const run = await retention.run();
    posting = false;
    const posted = await load;
    expect(run).toMatchObject({ pruned: { webhook_events: 9, 'webhook_events.raw_body': 30 }, skipped: false });
    const rows = (await db.query('SELECT id, raw_body, received_at, completion FROM webhook_events')) as {
      id: string;
      raw_body: string;
      received_at: string;
      completion: string;
    }[];
    const ago = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();
    expect(rows.filter((row) => row.received_at < ago(365))).toEqual([]);
    const emptied = rows.filter((row) => row.received_at < ago(90));
    expect(emptied).toHaveLength(30);
    expect(emptied.every((row) => row.raw_body === '' && row.completion === 'UNKNOWN')).toBe(true);
    const kept = rows.filter((row) => row.received_at >= ago(90));
    expect(kept.length).toBeGreaterThanOrEqual(5 + posted);
    expect(kept.every((row) => row.raw_body.length > 0)).toBe(true);
    // The next pass starts at its mark: nothing more to do.
    const again = (await retention.run()).pruned;
    expect(again).toMatchObject({ webhook_events: 0, 'webhook_events.raw_body': 0 });
    expect(Object.values(again).every((pruned) => pruned === 0)).toBe(true);
    await insertOld('reg-a2', 100, 3, 1000);
    expect((await retention.run()).pruned['webhook_events.raw_body']).toBe(3);
  });

  it('creates a new SQLite file with auto_vacuum=INCREMENTAL, so pruned pages go back to the file system', async () => {
    if (postgres) {
      expect(postgres).toBe(true); // PostgreSQL's autovacuum makes the space reusable; nothing to set.
      return;
    }
    const [mode] = (await db.query('PRAGMA auto_vacuum')) as { auto_vacuum: number }[];
    expect(mode.auto_vacuum).toBe(2);
    await insertOld('reg-b1', 500, 400, 5000);
    const pages = async () => Number(((await db.query('PRAGMA page_count')) as { page_count: number }[])[0].page_count);
    const before = await pages();
    const run = await gateway.app.get(RetentionJob).run();
    expect(run.pruned.webhook_events).toBe(400);
    expect(run.vacuumedPages).toBeGreaterThan(0);
    expect(await pages()).toBeLessThan(before);
    expect(((await db.query('PRAGMA freelist_count')) as { freelist_count: number }[])[0].freelist_count).toBe(0);
  });
});
