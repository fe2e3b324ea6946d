import { join } from 'node:path';

import { inspectDatabase } from './support/database-inspector';
import { freePort } from './support/free-port';
import { GatewayProcess, spawnGateway } from './support/gateway-process';
import { RunningGateway, TEST_SECRETS, gatewayEnv, startGateway } from './support/stack';
import { TestDatabase, createPostgresDatabase, createTestDatabase } from './support/test-database';
import { WebhookReceiver } from './support/webhook-receiver';

const ROOT = join(__dirname, '..');
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const SECRET = `whsec_${Buffer.alloc(32, 11).toString('base64')}`;
const REGISTRATIONS = 10;

/** A v2 postback whose score moves with `n`, so each one changes progress and announces it. */
const postback = (id: string, n: number, base: number) =>
  JSON.stringify({
    id,
    instance: 0,
    registrationCompletion: 'INCOMPLETE',
    registrationSuccess: 'UNKNOWN',
    score: { scaled: n % 100 },
    totalSecondsTracked: n,
    updated: new Date(base + n * 1000).toISOString(),
  });

async function insertRegistrations(database: TestDatabase, prefix: string): Promise<string[]> {
  const inspector = await inspectDatabase(database);
  const now = new Date().toISOString();
  const ids = Array.from({ length: REGISTRATIONS }, (_, i) => `${prefix}-${i}`);
  const columns =
    'id, course_id, learner_id, learner_first_name, learner_last_name, created_by, created_at, updated_at';
  const marks = (row: number) =>
    `(${Array.from({ length: 8 }, (_, i) => (database.kind === 'postgres' ? `$${row * 8 + i + 1}` : '?')).join(', ')})`;
  await inspector.query(
    `INSERT INTO scorm_registrations (${columns}) VALUES ${ids.map((_, i) => marks(i)).join(', ')} RETURNING id`,
    ids.flatMap((id) => [id, 'course-1', `learner-${id}`, 'Crash', 'Test', 'teacher-1', now, now]),
  );
  await inspector.close();
  return ids;
}

/** Posts to `urls` in turn from a few connections until `stop()`; answers how many were acknowledged. */
function streamPostbacks(urls: () => string[], ids: string[]) {
  let n = 0;
  let streaming = true;
  let acknowledged = 0;
  const base = Date.now() - 24 * 3600_000;
  const worker = async () => {
    while (streaming) {
      const i = n++;
      const targets = urls();
      try {
        const res = await fetch(`${targets[i % targets.length]}/api/v1/webhooks/scorm-cloud`, {
          body: postback(ids[i % ids.length], i, base),
          headers: { authorization: BASIC, 'content-type': 'application/json' },
          method: 'POST',
        });
        if (res.status === 200) acknowledged++;
      } catch {
        // the gateway was killed under the request
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  return {
    stop: async () => {
      streaming = false;
      await Promise.all(workers);
      return acknowledged;
    },
  };
}

/** Every outbox event, in outbox order, with its registration. */
async function outbox(database: TestDatabase): Promise<{ id: string; registration_id: string }[]> {
  const inspector = await inspectDatabase(database);
  const rows = await inspector.query<{ id: string; registration_id: string }>(
    'SELECT id, registration_id FROM events ORDER BY seq',
  );
  await inspector.close();
  return rows;
}

/** Per registration, the first arrival of each webhook-id follows outbox order. */
function expectOrderPerRegistration(receiver: WebhookReceiver, events: { id: string; registration_id: string }[]) {
  const position = new Map(events.map((event, i) => [event.id, i]));
  const seen = new Map<string, number>();
  for (const delivery of receiver.unique.values()) {
    const registration = String(delivery.payload!.data.registration_id);
    const at = position.get(delivery.id)!;
    expect(at).toBeGreaterThan(seen.get(registration) ?? -1);
    seen.set(registration, at);
  }
}

describe('event delivery durability', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await new WebhookReceiver(SECRET).start();
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await receiver?.close();
    await database?.drop();
  });

  it('loses no event when the gateway is killed (kill -9) while delivering, and resumes after restart', async () => {
    const port = await freePort();
    const env = {
      ...gatewayEnv(port, 9, database.url),
      EVENT_DELIVERY_POLL_MS: '200',
      EVENT_DELIVERY_TIMEOUT_MS: '1000',
      EVENT_SUBSCRIPTIONS: JSON.stringify([{ event_types: ['*'], name: 'lms', secret: SECRET, url: receiver.url }]),
      LOG_LEVEL: 'warn',
      WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    };
    gateway = spawnGateway(env, ROOT);
    await gateway.waitHealthy(60_000);
    const ids = await insertRegistrations(database, 'crash-evt');
    // A slow LMS: deliveries are in flight when the kill lands.
    receiver.delayMs = 30;
    const stream = streamPostbacks(() => [gateway!.url], ids);
    await receiver.waitFor(() => receiver.unique.size >= 20, 20_000);
    // The LMS slows down further so undelivered events pile up whatever the machine's speed: the kill must land
    // with events still to deliver (at most 10 more can arrive meanwhile, one per registration).
    receiver.delayMs = 1_000;
    const until = Date.now() + 20_000;
    while ((await outbox(database)).length < receiver.unique.size + 15 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await stream.stop();
    const events = await outbox(database);
    expect(events.length).toBeGreaterThan(receiver.unique.size);

    receiver.delayMs = 30;
    gateway = spawnGateway(env, ROOT);
    await gateway.waitHealthy(60_000);
    // Claims of the killed process wait out their lease (2 x time-out + 5 s), then go again with the same id.
    await receiver.waitFor(() => events.every((event) => receiver.unique.has(event.id)), 60_000, 'every event');
    expect(receiver.received.every((delivery) => delivery.verified)).toBe(true);
    expect(receiver.unique.size).toBe(events.length);
    expectOrderPerRegistration(receiver, events);
  });
});

/** Always on PostgreSQL (PG_ADMIN_URL), whatever TEST_DATABASE says, as the instances suite: SQLite has one process. */
describe('two instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  const gateways: RunningGateway[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    receiver = await new WebhookReceiver(SECRET).start();
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await receiver?.close();
    await database?.drop();
  });

  it('delivers each event exactly once between them, in order per registration', async () => {
    const overrides = {
      EVENT_DELIVERY_POLL_MS: '200',
      EVENT_SUBSCRIPTIONS: JSON.stringify([{ event_types: ['*'], name: 'lms', secret: SECRET, url: receiver.url }]),
      WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    };
    // Started together: the declared subscription is created once.
    gateways.push(...(await Promise.all([1, 2].map(() => startGateway({ database, overrides })))));
    const ids = await insertRegistrations(database, 'two-evt');
    const stream = streamPostbacks(() => gateways.map((g) => g.url), ids);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await stream.stop();
    const events = await outbox(database);
    expect(events.length).toBeGreaterThan(20);
    await receiver.waitFor(() => events.every((event) => receiver.unique.has(event.id)), 30_000, 'every event');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(events.length);
    expect(new Set(receiver.received.map((d) => d.id)).size).toBe(events.length);
    expectOrderPerRegistration(receiver, events);
    const inspector = await inspectDatabase(database);
    const subs = await inspector.query('SELECT id FROM event_subscriptions');
    await inspector.close();
    expect(subs).toHaveLength(1);
  });
});
