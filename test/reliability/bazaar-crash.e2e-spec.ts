import { join } from 'node:path';

import { bazaarUser, openStore, postForm } from '../bazaar-e2e.helpers';
import { inspectDatabase } from '../support/database-inspector';
import { freePort } from '../support/free-port';
import { GatewayProcess, spawnGateway } from '../support/gateway-process';
import { assertNoSecrets, secretsFromEnv } from '../support/secret-scan';
import { RunningSandbox, gatewayEnv, startSandbox } from '../support/stack';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { TEST_API_KEY } from '../support/tokens';

const ROOT = join(__dirname, '..', '..');
const SESSIONS = 120;
const WORKERS = 16;

interface Session {
  context: string;
  addUrl: string;
  params: string;
  uid: string;
}

/**
 * kill -9 of the gateway process while Bazaar callbacks stream in: every callback answered 303 is stored
 * after restart, a material exists exactly when its state was consumed (no half-done callback), and the
 * database passes its integrity check. Runs on SQLite, and on PostgreSQL with TEST_DATABASE=postgres.
 */
describe('Bazaar callbacks survive kill -9 of the gateway', () => {
  let database: TestDatabase;
  let sandbox: RunningSandbox;
  let gateway: GatewayProcess | undefined;
  let output = '';
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    sandbox = await startSandbox({ SANDBOX_GATEWAY_URL: `http://127.0.0.1:${port}` });
    env = {
      ...gatewayEnv(port, sandbox.port, database.url),
      LOG_LEVEL: 'debug',
      WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    };
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await sandbox?.close();
    await database?.drop();
  });

  it('keeps every acknowledged callback, stores none half-done, and stays intact', async () => {
    gateway = spawnGateway(env, ROOT);
    await gateway.waitHealthy(60_000);
    const first = gateway;

    // Browse sessions through the real sandbox store: one course and one picked material per session.
    const sessions: Session[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const context = `crash-course-${i}`;
      const res = await fetch(`${first.url}/api/v1/bazaar/browse`, {
        body: JSON.stringify({ ...bazaarUser({ context_id: context }), return_url: `${sandbox.url}/demo` }),
        headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
        method: 'POST',
      });
      expect(res.status).toBe(200);
      const store = await openStore(((await res.json()) as { browse_url: string }).browse_url);
      const form = store.forms[i % store.forms.length];
      sessions.push({ addUrl: form.action, context, params: form.params, uid: form.uid });
    }

    const acknowledged: Session[] = [];
    let next = 0;
    let streaming = true;
    const worker = async () => {
      while (streaming && next < sessions.length) {
        const session = sessions[next++];
        try {
          const res = await postForm(session.addUrl, { params: session.params });
          if (res.status === 303) acknowledged.push(session);
          else if (streaming) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        } catch (error) {
          if (streaming) throw error;
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, () => worker());
    while (acknowledged.length < SESSIONS / 3) await new Promise((resolve) => setTimeout(resolve, 2));
    streaming = false;
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await Promise.allSettled(workers);
    output += first.output();
    const answered = [...acknowledged];
    expect(answered.length).toBeLessThan(SESSIONS);

    // Same database, a fresh process on another port.
    gateway = spawnGateway({ ...env, PORT: String(await freePort()) }, ROOT);
    await gateway.waitHealthy(60_000);
    const db = await inspectDatabase(database);
    try {
      const materials = await db.query<{ context_id: string; uid: string }>(
        'SELECT context_id, uid FROM bazaar_materials',
      );
      const stored = new Set(materials.map((row) => `${row.context_id}|${row.uid}`));
      expect(answered.filter((s) => !stored.has(`${s.context}|${s.uid}`))).toEqual([]);

      const states = await db.query<{ context_id: string; consumed_at: string | null }>(
        'SELECT context_id, consumed_at FROM bazaar_browse_states',
      );
      const consumed = new Set(states.filter((s) => s.consumed_at).map((s) => s.context_id));
      const withMaterial = new Set(materials.map((row) => row.context_id));
      // Atomic: a consumed state has its material and a material has its consumed state.
      expect([...consumed].filter((c) => !withMaterial.has(c))).toEqual([]);
      expect([...withMaterial].filter((c) => !consumed.has(c))).toEqual([]);
      expect(await db.integrityProblems()).toEqual([]);
    } finally {
      await db.close();
    }

    // The sessions the crash cut off: an unconsumed state still works once, a consumed one is refused.
    const second = gateway;
    const rebased = (url: string) => `${second.url}${new URL(url).pathname}${new URL(url).search}`;
    let completed = 0;
    for (const session of sessions.filter((s) => !answered.includes(s))) {
      const res = await postForm(rebased(session.addUrl), { params: session.params });
      expect([303, 400]).toContain(res.status);
      if (res.status === 303) completed++;
    }
    const total = await fetch(`${second.url}/health/ready`);
    expect(total.status).toBe(200);
    expect(answered.length + completed).toBeLessThanOrEqual(SESSIONS);
    process.stdout.write(
      `bazaar crash (${database.kind}, ${second.built ? 'built' : 'source'} gateway): ${answered.length}/${SESSIONS} ` +
        `callbacks acknowledged before kill -9, all stored; ${completed} cut-off sessions completed after restart\n`,
    );
    await second.stop('SIGTERM');
    output += second.output();
    assertNoSecrets(output, secretsFromEnv(env), 'the crashed and restarted gateway output');
  });
});
