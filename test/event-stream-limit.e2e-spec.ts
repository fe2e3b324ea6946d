import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';

import { freePort } from './support/free-port';
import { GatewayProcess, spawnGateway } from './support/gateway-process';
import { RoundRobinProxy, startRoundRobinProxy } from './support/round-robin-proxy';
import { SseClient, SseRefused } from './support/sse-client';
import { gatewayEnv } from './support/stack';
import { TestDatabase, createPostgresDatabase } from './support/test-database';
import { bearer, userToken } from './support/tokens';

/**
 * EVENT_STREAM_MAX_PER_CALLER with three gateway processes on one PostgreSQL database behind a round-robin proxy:
 * a caller's streams count together wherever they are open, a closed one frees its place for any instance, and a
 * killed instance's streams stop counting once their leases expire (JOB_LEASE_MS, short here). It always runs on
 * PostgreSQL (a scratch database), whatever TEST_DATABASE says: one SQLite process has nothing to share.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..');
const MAX = 4;
const LEASE_MS = 2000;
/** How often each instance renews its leases (a third of the lease time, as the gateway does). */
const RENEW_MS = Math.floor(LEASE_MS / 3);

type Headers = Record<string, string>;

const streamUrl = (base: string) => `${base}/api/v1/events/stream`;

/** The refusal of a stream that should not open. */
async function refused(base: string, headers: Headers): Promise<SseRefused> {
  try {
    const client = await SseClient.open(streamUrl(base), headers);
    client.close();
  } catch (error) {
    if (error instanceof SseRefused) return error;
    throw error;
  }
  throw new Error(`a stream opened on ${base} beyond the limit`);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

describe('the event stream limit across gateways on one PostgreSQL database', () => {
  let database: TestDatabase;
  let db: Client;
  let proxy: RoundRobinProxy;
  const gateways: GatewayProcess[] = [];
  const clients: SseClient[] = [];

  const open = async (base: string, headers: Headers) => {
    const client = await SseClient.open(streamUrl(base), headers);
    clients.push(client);
    await client.until('the opening message', (c) => c.messages.length > 0);
    return client;
  };
  /** Opens a stream on `base` as soon as the caller's limit lets it. */
  const openOnceFree = async (base: string, headers: Headers, timeoutMs: number) => {
    let opened: SseClient | undefined;
    await waitFor(
      `a free place for a stream on ${base}`,
      async () => {
        opened = await SseClient.open(streamUrl(base), headers).catch((error: unknown) => {
          if (error instanceof SseRefused && error.status === 429) return undefined;
          throw error;
        });
        return opened !== undefined;
      },
      timeoutMs,
    );
    clients.push(opened!);
    return opened!;
  };
  /** A caller's leases are stored under a hash of who they are: no user id in the table. */
  const keyOf = (caller: string) => createHash('sha256').update(caller, 'utf8').digest('base64url');
  const leases = async (caller: string) =>
    (
      await db.query<{ holder: string }>(
        'SELECT holder FROM stream_leases WHERE caller = $1 AND expires_at > extract(epoch from now()) * 1000',
        [keyOf(caller)],
      )
    ).rows.map((row) => row.holder);
  const expectLimit = (refusal: SseRefused) => {
    expect(refusal.status).toBe(429);
    expect(refusal.body).toMatchObject({
      code: 'STREAM_LIMIT',
      message: `${MAX} event streams are already open for this caller; close one first`,
    });
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(0);
  };
  const user = async (id: string) => bearer(await userToken(id, 'student'));

  beforeAll(async () => {
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    database = await createPostgresDatabase();
    for (const port of ports) {
      gateways.push(
        spawnGateway(
          {
            ...gatewayEnv(port, 9, database.url),
            EVENT_STREAM_HEARTBEAT_MS: '500',
            EVENT_STREAM_MAX_PER_CALLER: String(MAX),
            JOB_LEASE_MS: String(LEASE_MS),
            WEBHOOK_RECONCILE_INTERVAL_MS: '0',
          },
          ROOT,
        ),
      );
    }
    await Promise.all(gateways.map((gateway) => gateway.waitHealthy(120_000)));
    proxy = await startRoundRobinProxy(gateways.map((gateway) => gateway.url));
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterEach(() => clients.splice(0).forEach((client) => client.close()));

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop('SIGKILL')));
    await proxy?.close();
    await db?.end();
    await database?.drop();
  });

  it('refuses the next stream on every instance once the caller holds the maximum spread over them', async () => {
    const headers = await user('spread-user');
    for (let i = 0; i < MAX; i++) await open(proxy.url, headers);
    // Round robin put them on all three instances.
    expect(new Set(await leases('user:spread-user')).size).toBe(3);
    const named = await db.query("SELECT 1 FROM stream_leases WHERE caller LIKE '%spread-user%'");
    expect(named.rows).toEqual([]);
    for (const gateway of gateways) expectLimit(await refused(gateway.url, headers));
    expectLimit(await refused(proxy.url, headers));
    // Another caller is not held back by this one.
    await open(gateways[0].url, await user('other-user'));
  });

  it('lets exactly the maximum open when one caller asks on all instances at once', async () => {
    const headers = await user('racing-user');
    const attempts = await Promise.allSettled(
      Array.from({ length: 3 * MAX }, (_, i) => SseClient.open(streamUrl(gateways[i % 3].url), headers)),
    );
    attempts.forEach((attempt) => attempt.status === 'fulfilled' && clients.push(attempt.value));
    const opened = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const refusals = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason] : []));
    expect(opened).toHaveLength(MAX);
    refusals.forEach((refusal) => expectLimit(refusal as SseRefused));
    expect(await leases('user:racing-user')).toHaveLength(MAX);
  });

  it('frees the place of a closed stream for any instance', async () => {
    const headers = await user('closing-user');
    const held: SseClient[] = [];
    for (let i = 0; i < MAX; i++) held.push(await open(gateways[i % 2].url, headers));
    expectLimit(await refused(gateways[2].url, headers));
    held[1].close();
    await waitFor(
      'the closed stream to be released',
      async () => (await leases('user:closing-user')).length < MAX,
      5000,
    );
    await open(gateways[2].url, headers);
    expectLimit(await refused(gateways[0].url, headers));
  });

  it('keeps the leases of open streams counting beyond the lease time, and ends a stream whose lease lapsed', async () => {
    const headers = await user('long-user');
    const held: SseClient[] = [];
    for (let i = 0; i < MAX; i++) held.push(await open(gateways[i % 3].url, headers));
    // Each instance renews its leases: after several lease times they still count.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * LEASE_MS));
    expectLimit(await refused(gateways[1].url, headers));
    expect(held.every((client) => !client.ended)).toBe(true);

    // A lease that lapsed (its instance could not renew it in time) no longer counts, so its stream is ended: the
    // client reconnects and counts again.
    const [lapsed] = (
      await db.query<{ id: string }>(
        'UPDATE stream_leases SET expires_at = 0 WHERE id = (SELECT id FROM stream_leases WHERE caller = $1 LIMIT 1) RETURNING id',
        [keyOf('user:long-user')],
      )
    ).rows;
    expect(lapsed).toBeDefined();
    await waitFor('one stream ended', async () => held.some((client) => client.ended), RENEW_MS * 3 + 2000);
    expect(held.filter((client) => client.ended)).toHaveLength(1);
    await open(gateways[1].url, headers);
    expectLimit(await refused(gateways[2].url, headers));
  });

  it("stops counting a killed instance's streams once their leases expire", async () => {
    const headers = await user('orphaned-user');
    const [a, b, victim] = gateways;
    await open(victim.url, headers);
    await open(victim.url, headers);
    await open(a.url, headers);
    await open(b.url, headers);
    expectLimit(await refused(a.url, headers));

    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const killed = Date.now();
    // Its leases were renewed at most a third of the lease time ago: they still count.
    expectLimit(await refused(a.url, headers));

    await openOnceFree(b.url, headers, LEASE_MS + 5000);
    const waited = Date.now() - killed;
    // Not before the leases could have expired (the last renewal at most RENEW_MS before the kill), and well within
    // one more lease time after.
    expect(waited).toBeGreaterThanOrEqual(LEASE_MS - RENEW_MS - 200);
    expect(waited).toBeLessThan(2 * LEASE_MS + 1000);
    // Both of its places come free (each lease expires on its own, a few milliseconds apart); then the limit holds.
    await openOnceFree(a.url, headers, 1000);
    expectLimit(await refused(b.url, headers));
    expectLimit(await refused(proxy.url, headers));
  });
});
