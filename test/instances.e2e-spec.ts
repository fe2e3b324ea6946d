import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';

import { base64Json, bazaarUser, expectErrorShape, openStore, postForm } from './bazaar-e2e.helpers';
import { scormPackage } from './fixtures/scorm/scorm-package';
import { freePort } from './support/free-port';
import { GatewayProcess, spawnGateway } from './support/gateway-process';
import { PrivatePostgres, startPrivatePostgres } from './support/private-postgres';
import { RoundRobinProxy, startRoundRobinProxy } from './support/round-robin-proxy';
import { RunningSandbox, TEST_SECRETS, gatewayEnv, startGateway, startSandbox } from './support/stack';
import { TestDatabase, createPostgresDatabase } from './support/test-database';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * Several gateways on one PostgreSQL database, as built processes behind a round-robin proxy that sets
 * X-Forwarded-For (TRUST_PROXY=loopback trusts it). It always runs on PostgreSQL (a scratch database on
 * PG_ADMIN_URL), whatever TEST_DATABASE says, so `npm test` and CI both run it; the database restart test uses a
 * PostgreSQL cluster of its own, never the machine's shared server. The Redis variant of the auth-failure limit
 * uses the machine's Redis server (TEST_REDIS_URL, default redis://127.0.0.1:6379).
 */
jest.setTimeout(240_000);

const ROOT = join(__dirname, '..');
const INSTANCES = 3;
const AUTH_FAILURE_LIMIT = 5;
const LEASE_MS = 3000;
const RECONCILE_EVERY_MS = 300;
/** The machine's Redis server (common to these machines and CI), for the REDIS_URL variant of the limit. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const admin = bearer(TEST_API_KEY);
const REGISTRATION_COLUMNS =
  'id, course_id, learner_id, learner_first_name, learner_last_name, created_by, created_at, updated_at';

/** Every postback of the suite reports its own, later `updated`: none is a re-delivery of another by accident. */
let sequence = 0;
const base = Date.now() - 24 * 3600_000;
const nextUpdated = () => new Date(base + sequence++ * 1000).toISOString();

function postbackBody(id: string, updated: string, score = 50): string {
  return JSON.stringify({
    id,
    instance: 0,
    lastAccessDate: updated,
    registrationCompletion: 'INCOMPLETE',
    registrationSuccess: 'UNKNOWN',
    score: { scaled: score },
    totalSecondsTracked: 60,
    updated,
  });
}

const postback = (url: string, id: string, updated: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/v1/webhooks/scorm-cloud`, {
    body: postbackBody(id, updated),
    headers: { authorization: BASIC, 'content-type': 'application/json', ...headers },
    method: 'POST',
  });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

/**
 * Postbacks from `workers` concurrent senders until stopped, each to the next of `targets()`; remembers the dedup
 * key of every one answered 200 and how many got each status and error code.
 */
function postbackLoad(targets: () => string[], ids: string[], workers: number) {
  const acknowledged: string[] = [];
  const statuses = new Map<string, number>();
  let running = true;
  let turn = 0;
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  const worker = async () => {
    while (running) {
      const urls = targets();
      const updated = nextUpdated();
      const id = ids[sequence % ids.length];
      try {
        const res = await postback(urls[turn++ % urls.length], id, updated);
        const body = (await res.json()) as { code?: string };
        if (res.status === 200) acknowledged.push(`0|${updated}|${id}`);
        count(res.status === 200 ? '200' : `${res.status} ${body.code}`);
      } catch {
        count('connection error');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const all = Array.from({ length: workers }, () => worker());
  return {
    acknowledged,
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(all);
    },
  };
}

async function insertRegistrations(db: Client, ids: string[]): Promise<void> {
  const now = new Date().toISOString();
  const tuples = ids.map((_, row) => `(${Array.from({ length: 8 }, (__, i) => `$${row * 8 + i + 1}`).join(', ')})`);
  await db.query(
    `INSERT INTO scorm_registrations (${REGISTRATION_COLUMNS}) VALUES ${tuples.join(', ')}`,
    ids.flatMap((id) => [id, 'course-1', `learner-${id}`, 'Many', 'Instances', 'teacher-1', now, now]),
  );
}

async function storedKeys(db: Client, prefix: string): Promise<Set<string>> {
  const rows = await db.query<{ dedup_key: string }>(
    'SELECT dedup_key FROM webhook_events WHERE registration_id LIKE $1',
    [`${prefix}%`],
  );
  return new Set(rows.rows.map((row) => row.dedup_key));
}

describe('several gateways on one PostgreSQL database', () => {
  let sandbox: RunningSandbox;
  let database: TestDatabase;
  let db: Client;
  let proxy: RoundRobinProxy;
  const gateways: GatewayProcess[] = [];
  const extra: { gateway?: GatewayProcess; drop?: () => Promise<void> | void }[] = [];

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    proxy = await startRoundRobinProxy(ports.map((port) => `http://127.0.0.1:${port}`));
    sandbox = await startSandbox({ SANDBOX_GATEWAY_URL: proxy.url });
    database = await createPostgresDatabase();
    // All at once on the empty database: the migration lock lets one migrate while the others wait.
    for (const port of ports) {
      gateways.push(
        spawnGateway(
          {
            ...gatewayEnv(port, sandbox.port, database.url),
            AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT),
            JOB_LEASE_MS: String(LEASE_MS),
            // Postbacks and Bazaar callbacks come back through the load balancer, as in production.
            PUBLIC_BASE_URL: proxy.url,
            TRUST_PROXY: 'loopback',
            WEBHOOK_POSTBACK_OVERDUE_MS: '600000',
            WEBHOOK_RECONCILE_INTERVAL_MS: String(RECONCILE_EVERY_MS),
          },
          ROOT,
        ),
      );
    }
    await Promise.all(gateways.map((gateway) => gateway.waitHealthy(120_000)));
    db = new Client({ connectionString: database.url });
    await db.connect();
    const imported = await fetch(`${proxy.url}/api/v1/scorm/courses?course_id=safety-101`, {
      body: (() => {
        const form = new FormData();
        form.append('file', new Blob([scormPackage('Safety 101')], { type: 'application/zip' }), 'safety-101.zip');
        return form;
      })(),
      headers: admin,
      method: 'POST',
    });
    expect(imported.status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all([...gateways, ...extra.map((e) => e.gateway)].map((gateway) => gateway?.stop('SIGKILL')));
    for (const { drop } of extra) await drop?.();
    await db?.end();
    await proxy?.close();
    await sandbox?.close();
    await database?.drop();
  });

  const register = async (id: string) => {
    const res = await fetch(`${proxy.url}/api/v1/scorm/registrations`, {
      body: JSON.stringify({
        course_id: 'safety-101',
        learner_first_name: 'Aino',
        learner_id: `learner-${id}`,
        learner_last_name: 'Virtanen',
        registration_id: id,
      }),
      headers: { ...admin, 'content-type': 'application/json' },
      method: 'POST',
    });
    expect(res.status).toBe(201);
  };
  /** Registrations the next reconciliation pass would re-read (postback-only progress not yet confirmed). */
  const stillDue = async (ids: string[]) =>
    (
      await db.query(
        "SELECT id FROM scorm_registrations WHERE id = ANY($1) AND deleted_upstream_at IS NULL AND progress_source = 'postback' " +
          'AND (last_synced_at IS NULL OR last_synced_at < last_postback_at)',
        [ids],
      )
    ).rowCount;
  const upstreamReads = async (prefix: string) => {
    const res = await fetch(`${sandbox.url}/_sandbox/requests?prefix=${encodeURIComponent(prefix)}`);
    return ((await res.json()) as { requests: Record<string, number> }).requests;
  };

  it('lets exactly one of the same Bazaar callback state posted through different instances at once add', async () => {
    const teacher = await userToken('teacher-1', 'teacher');
    const user = bazaarUser({ context_id: 'course-many' });
    const browsed = await fetch(`${proxy.url}/api/v1/bazaar/browse`, {
      body: JSON.stringify({ ...user, return_url: `${sandbox.url}/demo?course=course-many` }),
      headers: { ...bearer(teacher), 'content-type': 'application/json' },
      method: 'POST',
    });
    expect(browsed.status).toBe(200);
    const store = await openStore(((await browsed.json()) as { browse_url: string }).browse_url);
    const callback = new URL(store.forms[0].action);
    expect(callback.origin).toBe(proxy.url);

    const answers = await Promise.all(
      gateways.map((gateway, n) =>
        postForm(`${gateway.url}${callback.pathname}${callback.search}`, {
          params: base64Json({ name: `Race ${n}`, uid: `many-race-${n}` }),
        }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400, 400]);
    const added = answers.find((answer) => answer.status === 303)!;
    expect(added.headers.get('location')).toContain('bazaar_status=added');
    for (const refused of answers.filter((answer) => answer.status === 400)) {
      expectErrorShape(await refused.json(), 400, 'BAZAAR_STATE_USED');
    }
    const materials = await fetch(`${proxy.url}/api/v1/contexts/course-many/materials`, { headers: bearer(teacher) });
    expect(((await materials.json()) as { materials: unknown[] }).materials).toHaveLength(1);
  });

  it('stores and applies each postback once, spread over the instances, and knows re-deliveries anywhere', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `spread-reg-${i}`);
    await insertRegistrations(db, ids);
    const before = new Map([...proxy.handled]);
    const sent: { id: string; updated: string }[] = [];
    const answers = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 15; i++) {
          const id = ids[sequence % ids.length];
          const updated = nextUpdated();
          sent.push({ id, updated });
          const res = await postback(proxy.url, id, updated);
          statuses.push(res.status);
          expect(await res.json()).toMatchObject({ duplicate: false, registration_id: id, status: 'success' });
        }
        return statuses;
      }),
    );
    expect(answers.flat().every((status) => status === 200)).toBe(true);
    for (const [backend, handled] of proxy.handled) expect(handled - (before.get(backend) ?? 0)).toBeGreaterThan(40);

    const events = await db.query<{ dedup_key: string; n: string }>(
      "SELECT dedup_key, COUNT(*) AS n FROM webhook_events WHERE registration_id LIKE 'spread-reg-%' GROUP BY dedup_key",
    );
    expect(events.rowCount).toBe(sent.length);
    expect(events.rows.every((row) => Number(row.n) === 1)).toBe(true);
    // Applied once: each registration holds exactly one progress row, the newest postback's, whatever order they
    // committed in on three instances.
    const progress = await db.query<{ registration_id: string; progress_updated_at: string }>(
      "SELECT registration_id, progress_updated_at FROM scorm_registration_progress WHERE registration_id LIKE 'spread-reg-%'",
    );
    expect(progress.rowCount).toBe(ids.length);
    for (const row of progress.rows) {
      const newest = sent
        .filter((postbackSent) => postbackSent.id === row.registration_id)
        .map((postbackSent) => postbackSent.updated)
        .sort()
        .pop();
      expect(row.progress_updated_at).toBe(newest);
    }

    // Re-deliveries through the proxy land on other instances than the first time: each is known as a duplicate.
    const again = await Promise.all(sent.slice(0, 30).map(({ id, updated }) => postback(proxy.url, id, updated)));
    for (const res of again) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ duplicate: true, outcome: 'stale' });
    }
    const total = await db.query("SELECT COUNT(*) AS n FROM webhook_events WHERE registration_id LIKE 'spread-reg-%'");
    expect(Number(total.rows[0].n)).toBe(sent.length);
  });

  it('reads each due registration from SCORM Cloud once in a reconciliation pass with all three instances running', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `recon-${i}`);
    for (const id of ids) await register(id);
    await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
    // A postback each makes them due: their progress came only from a postback, not yet confirmed by the API.
    for (const id of ids) expect((await postback(proxy.url, id, nextUpdated())).status).toBe(200);

    await waitFor('every registration reconciled', async () => (await stillDue(ids)) === 0, 30_000);
    // Several more ticks on every instance: nothing is read again.
    await new Promise((resolve) => setTimeout(resolve, 4 * RECONCILE_EVERY_MS + 500));
    const reads = await upstreamReads('/scorm/api/v2/registrations/recon-');
    expect(reads).toEqual(Object.fromEntries(ids.map((id) => [`GET /scorm/api/v2/registrations/${id}`, 1])));
  });

  it('signs and sends each event as its subscription stands, after a rotation or a new url through another instance', async () => {
    const first = await new WebhookReceiver('whsec_placeholder0000000000000000000000000000').start();
    const second = await new WebhookReceiver('whsec_placeholder0000000000000000000000000000').start();
    extra.push({ drop: () => first.close() }, { drop: () => second.close() });
    const api = (gateway: GatewayProcess, path: string, body: unknown, method = 'POST') =>
      fetch(`${gateway.url}/api/v1/event-subscriptions${path}`, {
        body: JSON.stringify(body),
        headers: { ...admin, 'content-type': 'application/json' },
        method,
      });
    const created = await api(gateways[0], '', { event_types: ['registration.progress_changed'], url: first.url });
    expect(created.status).toBe(201);
    const sub = (await created.json()) as { id: string; secret: string };
    first.secret = sub.secret;
    await insertRegistrations(db, ['rotate-reg']);
    // Each postback reports a new score, so each announces a progress change.
    let score = 0;
    const progress = (url: string) =>
      fetch(`${url}/api/v1/webhooks/scorm-cloud`, {
        body: postbackBody('rotate-reg', nextUpdated(), (score += 5)),
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        method: 'POST',
      });
    expect((await progress(proxy.url)).status).toBe(200);
    await first.waitFor(() => first.unique.size === 1);

    // Each instance now holds the endpoint in its list; the change goes through one, the postback through another,
    // within the second that list is reused: whichever instance delivers signs with the secrets as they are now.
    for (let round = 1; round <= 3; round++) {
      const previous = first.secret;
      const rotated = await api(gateways[round % INSTANCES], `/${sub.id}/rotate-secret`, { overlap_seconds: 3600 });
      expect(rotated.status).toBe(200);
      first.secret = ((await rotated.json()) as { secret: string }).secret;
      expect((await progress(gateways[(round + 1) % INSTANCES].url)).status).toBe(200);
      await first.waitFor(() => first.unique.size === round + 1);
      const delivery = [...first.unique.values()][round];
      expect(delivery.signature.split(' ')).toHaveLength(2);
      expect(() =>
        new Webhook(previous).verify(delivery.body, delivery.headers as Record<string, string>),
      ).not.toThrow();
    }
    expect(first.received.every((delivery) => delivery.verified)).toBe(true);

    second.secret = first.secret;
    const moved = await api(gateways[1], `/${sub.id}`, { url: second.url }, 'PATCH');
    expect(moved.status).toBe(200);
    expect((await progress(gateways[2].url)).status).toBe(200);
    await second.waitFor(() => second.unique.size === 1);
    expect(first.received).toHaveLength(4);
    await api(gateways[0], `/${sub.id}`, undefined, 'DELETE');
  });

  it('blocks a client after exactly AUTH_FAILURE_LIMIT failures in total across the instances', async () => {
    const from = { 'x-forwarded-for': '203.0.113.77' };
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURE_LIMIT + 3; i++) {
      // Bad API keys and bad postback credentials count toward the same limit, on whichever instance they land.
      const res =
        i % 2 === 0
          ? await fetch(`${proxy.url}/api/v1/me`, { headers: { ...bearer(`wrong-key-${i}-0123456789`), ...from } })
          : await postback(proxy.url, 'spread-reg-0', nextUpdated(), {
              ...from,
              authorization: 'Basic d3Jvbmc6d3Jvbmc=',
            });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...new Array<number>(AUTH_FAILURE_LIMIT).fill(401), ...new Array<number>(3).fill(429)]);
    // The block reaches every instance: even the right key is refused there, from that address only.
    for (const gateway of gateways) {
      await waitFor(
        `the block on ${gateway.url}`,
        async () => (await fetch(`${gateway.url}/api/v1/me`, { headers: { ...admin, ...from } })).status === 429,
        5000,
      );
      const blocked = await fetch(`${gateway.url}/api/v1/me`, { headers: { ...admin, ...from } });
      expectErrorShape(await blocked.json(), 429, 'AUTH_RATE_LIMITED');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = await fetch(`${gateway.url}/api/v1/me`, {
        headers: { ...admin, 'x-forwarded-for': '203.0.113.78' },
      });
      expect(other.status).toBe(200);
    }
    const counted = await db.query("SELECT failures FROM auth_failures WHERE client = '203.0.113.77'");
    expect(counted.rows[0].failures).toBeGreaterThanOrEqual(AUTH_FAILURE_LIMIT + 1);
  });

  it('keeps every acknowledged postback when one instance is killed under load, and another takes its pass over within the lease time', async () => {
    const ids = Array.from({ length: 4 }, (_, i) => `kill-${i}`);
    for (const id of ids) await register(id);
    const loadIds = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
    await insertRegistrations(db, loadIds);
    // The pass hangs on SCORM Cloud, so the instance holding its lease is mid-pass when killed.
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      body: JSON.stringify({ delay_ms: 30_000, mode: 'slow', prefix: '/scorm/api/v2/registrations/kill-' }),
      headers: { 'content-type': 'application/json' },
      method: 'POST',
    });
    for (const id of ids) expect((await postback(proxy.url, id, nextUpdated())).status).toBe(200);
    const load = postbackLoad(() => [proxy.url], loadIds, 8);
    try {
      let holder: GatewayProcess | undefined;
      await waitFor(
        'a pass reading a kill- registration',
        async () => {
          if (!Object.keys(await upstreamReads('/scorm/api/v2/registrations/kill-')).length) return false;
          const lease = await db.query<{ holder: string }>(
            "SELECT holder FROM job_leases WHERE name = 'webhook-postback-reconciliation' AND expires_at > extract(epoch from now()) * 1000",
          );
          const pid = Number(lease.rows[0]?.holder.split('/')[1]);
          holder = gateways.find((gateway) => gateway.child.pid === pid);
          return holder !== undefined;
        },
        30_000,
      );
      while (load.acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 20));
      holder!.child.kill('SIGKILL');
      expect((await holder!.exited).signal).toBe('SIGKILL');
      await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });

      const tookOver = await waitFor('the pass taken over', async () => (await stillDue(ids)) === 0, 60_000);
      // The lease expires LEASE_MS after its last renewal; the next tick elsewhere takes it and reads four
      // registrations. Generous slack for a loaded two-core machine, but well below a second lease time.
      expect(tookOver).toBeLessThan(LEASE_MS + RECONCILE_EVERY_MS + 2500);
      const acknowledgedAfterKill = load.acknowledged.length;
      await waitFor(
        'more postbacks after the kill',
        async () => load.acknowledged.length > acknowledgedAfterKill + 100,
        30_000,
      );
    } finally {
      await load.stop();
    }
    const stored = await storedKeys(db, 'burst-');
    expect(load.acknowledged.filter((key) => !stored.has(key))).toEqual([]);
    // Requests cut off by the kill were never answered 200; nothing else failed.
    for (const key of load.statuses.keys())
      expect(['200', '502 PROXY_UPSTREAM_FAILED', 'connection error']).toContain(key);
  });

  it('brings two instances started at once on an empty database up, and WEB_CONCURRENCY=2 up and down', async () => {
    const empty = await createPostgresDatabase();
    extra.push({ drop: () => empty.drop() });
    const ports = [await freePort(), await freePort()];
    const pair = ports.map((port) =>
      spawnGateway({ ...gatewayEnv(port, sandbox.port, empty.url), WEBHOOK_RECONCILE_INTERVAL_MS: '0' }, ROOT),
    );
    pair.forEach((gateway) => extra.push({ gateway }));
    await Promise.all(pair.map((gateway) => gateway.waitHealthy(120_000)));
    const check = new Client({ connectionString: empty.url });
    await check.connect();
    try {
      const migrations = await check.query<{ name: string; n: string }>(
        'SELECT name, COUNT(*) AS n FROM migrations GROUP BY name',
      );
      expect(migrations.rowCount).toBeGreaterThanOrEqual(7);
      expect(migrations.rows.every((row) => Number(row.n) === 1)).toBe(true);
    } finally {
      await check.end();
    }
    await Promise.all(pair.map((gateway) => gateway.stop()));

    const port = await freePort();
    const cluster = spawnGateway(
      { ...gatewayEnv(port, sandbox.port, empty.url), WEB_CONCURRENCY: '2', WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
      ROOT,
    );
    extra.push({ gateway: cluster });
    await cluster.waitHealthy(120_000);
    const me = await fetch(`${cluster.url}/api/v1/me`, { headers: admin });
    expect(me.status).toBe(200);
    await cluster.stop('SIGTERM');
    expect(await cluster.exited).toEqual({ code: 0, signal: null });
  });

  it('lets only one gateway process use a SQLite file, with a message that says to use PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-instances-'));
    extra.push({ drop: () => rmSync(dir, { force: true, recursive: true }) });
    const url = `sqlite:${join(dir, 'gateway.sqlite')}`;
    const env = async () => ({
      ...gatewayEnv(await freePort(), sandbox.port, url),
      WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    });
    const first = spawnGateway(await env(), ROOT);
    extra.push({ gateway: first });
    await first.waitHealthy(120_000);

    const second = spawnGateway(await env(), ROOT);
    extra.push({ gateway: second });
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain('Another gateway process is already using the SQLite database');
    expect(second.output()).toContain('use PostgreSQL');

    const cluster = spawnGateway({ ...(await env()), WEB_CONCURRENCY: '2' }, ROOT);
    extra.push({ gateway: cluster });
    expect((await cluster.exited).code).toBe(1);
    expect(cluster.output()).toContain('WEB_CONCURRENCY=2 needs PostgreSQL');

    // A killed holder leaves no stale lock behind.
    await first.stop('SIGKILL');
    const third = spawnGateway(await env(), ROOT);
    extra.push({ gateway: third });
    await third.waitHealthy(120_000);
  });

  describe('the auth-failure limit in Redis (REDIS_URL)', () => {
    it('counts failures on two instances together and tells both about the block', async () => {
      const pair = await Promise.all(
        [0, 1].map(() =>
          startGateway({
            overrides: { AUTH_FAILURE_LIMIT: '3', REDIS_URL, WEBHOOK_RECONCILE_INTERVAL_MS: '0' },
          }),
        ),
      );
      try {
        // A /64 of its own per run: keys of an earlier run (they live a minute) never count here.
        const from = {
          'x-forwarded-for': `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::7`,
        };
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await fetch(`${pair[i % 2].url}/api/v1/me`, {
            headers: { ...bearer(`wrong-key-${i}-0123456789`), ...from },
          });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([401, 401, 401, 429, 429]);
        for (const gateway of pair) {
          await waitFor(
            `the block on ${gateway.url}`,
            async () => (await fetch(`${gateway.url}/api/v1/me`, { headers: { ...admin, ...from } })).status === 429,
            5000,
          );
        }
      } finally {
        await Promise.all(pair.map((gateway) => gateway.close()));
      }
    });
  });

  describe('the PostgreSQL server restarted under postback load', () => {
    let server: PrivatePostgres | undefined;
    afterAll(() => server?.destroy());

    it('answers 503 while it is down, never a 200 that was not committed, and reconnects by itself', async () => {
      server = await startPrivatePostgres();
      const own = await createPostgresDatabase(server.adminUrl);
      const pair = await Promise.all(
        [0, 1].map(async () =>
          spawnGateway(
            {
              ...gatewayEnv(await freePort(), sandbox.port, own.url),
              // Error lines only (test gateways are silent otherwise): a 500's cause is logged there.
              LOG_LEVEL: 'error',
              WEBHOOK_RECONCILE_INTERVAL_MS: String(RECONCILE_EVERY_MS),
            },
            ROOT,
          ),
        ),
      );
      pair.forEach((gateway) => extra.push({ gateway }));
      await Promise.all(pair.map((gateway) => gateway.waitHealthy(120_000)));
      const direct = new Client({ connectionString: own.url });
      await direct.connect();
      const ids = Array.from({ length: 8 }, (_, i) => `restart-${i}`);
      await insertRegistrations(direct, ids);
      await direct.end();

      const load = postbackLoad(() => pair.map((gateway) => gateway.url), ids, 8);
      try {
        while (load.acknowledged.length < 100) await new Promise((resolve) => setTimeout(resolve, 20));
        server.stop();
        await waitFor(
          'postbacks refused with 503 while the database is down',
          async () => (load.statuses.get('503 DATABASE_UNAVAILABLE') ?? 0) >= 20,
          30_000,
        );
        for (const gateway of pair) expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(503);
        const refused = await fetch(`${pair[0].url}/api/v1/scorm/registrations/restart-0`, { headers: admin });
        expectErrorShape(await refused.json(), 503, 'DATABASE_UNAVAILABLE');
        expect(refused.headers.get('retry-after')).toBe('5');

        server.start();
        await waitFor(
          'both gateways storing postbacks again',
          async () => {
            const answers = await Promise.all(
              pair.map((gateway) => postback(gateway.url, ids[0], nextUpdated()).then((res) => res.status)),
            );
            return answers.every((status) => status === 200);
          },
          60_000,
        );
        const acknowledgedAfter = load.acknowledged.length;
        await waitFor(
          'more postbacks after the restart',
          async () => load.acknowledged.length > acknowledgedAfter + 50,
          30_000,
        );
        for (const gateway of pair) expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
      } finally {
        await load.stop();
      }
      const check = new Client({ connectionString: own.url });
      await check.connect();
      try {
        const stored = await storedKeys(check, 'restart-');
        expect(load.acknowledged.filter((key) => !stored.has(key))).toEqual([]);
      } finally {
        await check.end();
      }
      // Anything else is a bug: the failure then shows the gateways' error lines (a 500's cause is logged there).
      const unexpected = [...load.statuses.keys()].filter((key) => key !== '200' && key !== '503 DATABASE_UNAVAILABLE');
      const errors = pair.flatMap((gateway) =>
        gateway
          .output()
          .split('\n')
          .filter((line) => /"level":50/.test(line)),
      );
      expect({ errors: unexpected.length ? errors.slice(0, 5) : [], unexpected }).toEqual({
        errors: [],
        unexpected: [],
      });
      await Promise.all(pair.map((gateway) => gateway.stop()));
    });
  });
});
