import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

import { freePort } from './support/free-port';
import { GatewayProcess, spawnGateway } from './support/gateway-process';
import { RunningSandbox, gatewayEnv, startSandbox } from './support/stack';
import { TestDatabase, createPostgresDatabase } from './support/test-database';
import { TEST_API_KEY } from './support/tokens';
import { Sample, parsePrometheusText } from './support/prometheus-text';

const ROOT = join(__dirname, '..');
const METRICS_TOKEN = 'cluster-metrics-token-0123456789';
const REQUESTS = 40;

const matching = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([key, v]) => s.labels[key] === v));
const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  matching(samples, name, labels).reduce((total, s) => total + s.value, 0);

/** GET `path` on a connection of its own (node:cluster hands each new connection to the next worker). */
function getOnNewConnection(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('metrics of a WEB_CONCURRENCY=2 gateway (PostgreSQL)', () => {
  let sandbox: RunningSandbox;
  let database: TestDatabase;
  let gateway: GatewayProcess;
  let metricsUrl: string;

  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };
  const me = () => getOnNewConnection(`${gateway.url}/api/v1/me`, { authorization: `Bearer ${TEST_API_KEY}` });
  const meCount = (samples: Sample[]) =>
    sum(samples, 'gateway_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/me', status: '200' });
  /** Sends `n` requests, four at a time. */
  const send = async (n: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i += 4) statuses.push(...(await Promise.all([me(), me(), me(), me()].slice(0, n - i))));
    expect(statuses.every((status) => status === 200)).toBe(true);
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
    database = await createPostgresDatabase();
    const [port, metricsPort] = [await freePort(), await freePort()];
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    gateway = spawnGateway(
      {
        ...gatewayEnv(port, sandbox.port, database.url),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        METRICS_TOKEN,
        WEB_CONCURRENCY: '2',
        WEBHOOK_RECONCILE_INTERVAL_MS: '0',
      },
      ROOT,
    );
    await gateway.waitHealthy(120_000);
    // Both workers listen, not only the first.
    await waitFor('two workers answering scrapes', async () =>
      sum(await scrape(), 'gateway_cluster_workers') === 2 ? true : undefined,
    );
  });

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await database?.drop();
    await sandbox?.close();
  });

  it('keeps the listener, its token and the API port as a single process has them', async () => {
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
    const anonymous = await fetch(metricsUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('answers every scrape with both workers together: counters total what was sent and never go back', async () => {
    await send(REQUESTS);
    const first = await scrape();
    const second = await scrape();
    expect(meCount(first)).toBe(REQUESTS);
    expect(meCount(second)).toBe(REQUESTS);
    const all = (samples: Sample[]) => sum(samples, 'gateway_http_request_duration_seconds_count');
    expect(all(second)).toBeGreaterThanOrEqual(all(first));

    for (const samples of [first, second]) {
      expect(sum(samples, 'gateway_cluster_workers')).toBe(2);
      const workers = matching(samples, 'gateway_worker_start_time_seconds');
      expect(workers).toHaveLength(2);
      expect(new Set(workers.map((s) => s.labels.pid)).size).toBe(2);
      // Node's process metrics of both, combined as each declares: memory adds up, a per-process limit does not.
      expect(sum(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(sum(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(matching(samples, 'process_start_time_seconds')).toEqual([]);
      expect(matching(samples, 'nodejs_version_info')).toHaveLength(1);
      // Each worker has its own pool of 10.
      expect(sum(samples, 'gateway_db_pool_max_connections')).toBe(20);
    }
  });

  it('still answers, with the totals kept, when a worker dies and is replaced', async () => {
    const before = await scrape();
    const victim = matching(before, 'gateway_worker_start_time_seconds')[0].labels.pid;
    process.kill(Number(victim), 'SIGKILL');

    const replaced = await waitFor('a replacement worker', async () => {
      const samples = await scrape();
      const pids = matching(samples, 'gateway_worker_start_time_seconds').map((s) => s.labels.pid);
      return pids.length === 2 && !pids.includes(victim) ? samples : undefined;
    });
    expect(meCount(replaced)).toBe(REQUESTS);
    expect(sum(replaced, 'gateway_cluster_worker_exits_total')).toBe(1);

    await send(REQUESTS);
    expect(meCount(await scrape())).toBe(2 * REQUESTS);
  });

  it('closes the metrics listener and exits 0 on SIGTERM', async () => {
    await gateway.stop('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});
