import { join } from 'node:path';

import { inspectDatabase } from './support/database-inspector';
import { freePort } from './support/free-port';
import { GatewayProcess, spawnGateway } from './support/gateway-process';
import { TEST_SECRETS, gatewayEnv } from './support/stack';
import { TestDatabase, createTestDatabase } from './support/test-database';

const ROOT = join(__dirname, '..');
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const WORKERS = 16;
const REGISTRATIONS = 20;

/** What SCORM Cloud would post: a v2 registration, each with its own `updated`. */
function postback(registrationId: string, updated: string): string {
  return JSON.stringify({
    id: registrationId,
    instance: 0,
    lastAccessDate: updated,
    registrationCompletion: 'INCOMPLETE',
    registrationSuccess: 'UNKNOWN',
    score: { scaled: 50 },
    totalSecondsTracked: 60,
    updated,
  });
}

describe('results webhook durability (kill -9 during a stream of postbacks)', () => {
  let database: TestDatabase;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await database?.drop();
  });

  it('keeps every postback that was answered 200, and the database stays intact', async () => {
    const port = await freePort();
    const env = { ...gatewayEnv(port, 9, database.url), LOG_LEVEL: 'warn', WEBHOOK_RECONCILE_INTERVAL_MS: '0' };
    gateway = spawnGateway(env, ROOT);
    await gateway.waitHealthy(60_000);

    // Registrations the gateway knows, written from outside as ScormCloudModule would have stored them.
    const inspector = await inspectDatabase(database);
    const now = new Date().toISOString();
    const ids = Array.from({ length: REGISTRATIONS }, (_, i) => `crash-reg-${i}`);
    const columns =
      'id, course_id, learner_id, learner_first_name, learner_last_name, created_by, created_at, updated_at';
    const marks = (row: number) =>
      `(${Array.from({ length: 8 }, (_, i) => (database.kind === 'postgres' ? `$${row * 8 + i + 1}` : '?')).join(', ')})`;
    await inspector.query(
      `INSERT INTO scorm_registrations (${columns}) VALUES ${ids.map((_, i) => marks(i)).join(', ')} RETURNING id`,
      ids.flatMap((id) => [id, 'course-1', `learner-${id}`, 'Crash', 'Test', 'teacher-1', now, now]),
    );
    await inspector.close();

    // Stream postbacks from many connections; remember exactly which ones were answered 200.
    const acknowledged: string[] = [];
    let sequence = 0;
    let streaming = true;
    const base = Date.now() - 24 * 3600_000;
    const worker = async () => {
      while (streaming) {
        const n = sequence++;
        const updated = new Date(base + n * 1000).toISOString();
        const id = ids[n % ids.length];
        try {
          const res = await fetch(`${gateway!.url}/api/v1/webhooks/scorm-cloud`, {
            body: postback(id, updated),
            headers: { authorization: BASIC, 'content-type': 'application/json' },
            method: 'POST',
          });
          if (res.status === 200) acknowledged.push(`0|${updated}|${id}`);
          else if (streaming) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        } catch (error) {
          if (streaming) throw error;
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, () => worker());
    while (acknowledged.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    // Requests already sent stay in flight: the kill lands in the middle of them.
    streaming = false;
    gateway.child.kill('SIGKILL');
    const { signal } = await gateway.exited;
    await Promise.allSettled(workers);
    expect(signal).toBe('SIGKILL');
    const answered = [...acknowledged];
    expect(answered.length).toBeGreaterThanOrEqual(300);

    // Same database, fresh process: it must start cleanly and hold every acknowledged postback.
    gateway = spawnGateway({ ...env, PORT: String(await freePort()) }, ROOT);
    await gateway.waitHealthy(60_000);
    const after = await inspectDatabase(database);
    try {
      const stored = new Set(
        (await after.query<{ dedup_key: string }>('SELECT dedup_key FROM webhook_events')).map((row) => row.dedup_key),
      );
      const lost = answered.filter((key) => !stored.has(key));
      expect(lost).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(answered.length);
      expect(await after.integrityProblems()).toEqual([]);
    } finally {
      await after.close();
    }

    // And it keeps working: the next delivery is stored and a re-delivery of an acknowledged one is a duplicate.
    const [, updated, id] = answered[0].split('|');
    const again = await fetch(`${gateway.url}/api/results`, {
      body: postback(id, updated),
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      method: 'POST',
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, registration_id: id });
  });
});
