import { PostbackReconciliationJob } from '@app/webhook';
import request from 'supertest';

import { bazaarUser, browse } from './bazaar-e2e.helpers';
import { freePort } from './support/free-port';
import { insertRegistration } from './support/registrations';
import { RunningStack, TEST_SECRETS, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';
import { Sample, parsePrometheusText } from './support/prometheus-text';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const admin = bearer(TEST_API_KEY);

describe('Prometheus metrics', () => {
  let stack: RunningStack;
  let metricsUrl: string;

  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };
  /** The sum of every series of `name` whose labels include `labels`; undefined when there is none. */
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
    const matching = samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([key, v]) => s.labels[key] === v),
    );
    return matching.length ? matching.reduce((sum, s) => sum + s.value, 0) : undefined;
  };

  beforeAll(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    stack = await startStack({
      gatewayOverrides: {
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        METRICS_TOKEN,
        WEBHOOK_RECONCILE_INTERVAL_MS: '0',
      },
    });
  });
  afterAll(() => stack?.close());

  it('serves /metrics on its own port only, to a scraper with the token', async () => {
    await request(stack.gateway.url).get('/metrics').expect(404);
    const anonymous = await fetch(metricsUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(405);

    const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(await res.text());
    // Node's process metrics come with it.
    expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('times HTTP requests by route template and status, never by the raw path', async () => {
    await request(stack.gateway.url).get('/api/v1/scorm/registrations/reg-raw-id-7391').set(admin).expect(404);
    await request(stack.gateway.url).get('/api/v1/scorm/registrations/reg-raw-id-7391').expect(401);
    await request(stack.gateway.url).get('/no/such/path-5517').expect(404);
    await request(stack.gateway.url).get('/health').expect(200);

    const samples = await scrape();
    const count = (route: string, status: string) =>
      value(samples, 'gateway_http_request_duration_seconds_count', { method: 'GET', route, status });
    expect(count('/api/v1/scorm/registrations/:id', '404')).toBe(1);
    expect(count('/api/v1/scorm/registrations/:id', '401')).toBe(1);
    expect(count('unmatched', '404')).toBeGreaterThanOrEqual(1);
    expect(count('/health', '200')).toBeGreaterThanOrEqual(1);
    const labels = JSON.stringify(samples.map((s) => s.labels));
    expect(labels).not.toContain('reg-raw-id-7391');
    expect(labels).not.toContain('path-5517');
  });

  it('counts postbacks by shape and outcome, including those the fast path answers ahead of Express', async () => {
    const id = await insertRegistration(stack.gateway, 'reg-metrics-1');
    const body = JSON.stringify({
      id,
      instance: 0,
      registrationCompletion: 'COMPLETED',
      registrationSuccess: 'PASSED',
      score: { scaled: 90 },
      updated: new Date(Date.now() - 60_000).toISOString(),
    });
    const post = (auth: string) =>
      request(stack.gateway.url)
        .post('/api/v1/webhooks/scorm-cloud')
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send(body);
    expect((await post(BASIC)).body).toMatchObject({ duplicate: false, outcome: 'applied' });
    expect((await post(BASIC)).body).toMatchObject({ duplicate: true });
    await post(`Basic ${Buffer.from('scorm-test:wrong').toString('base64')}`).expect(401);
    // The form shape goes the regular Nest route.
    await request(stack.gateway.url)
      .post('/api/results')
      .type('form')
      .send({ data: body, password: TEST_SECRETS.webhookPassword, userName: TEST_SECRETS.webhookUsername })
      .expect(200);

    const samples = await scrape();
    expect(value(samples, 'gateway_postbacks_total', { outcome: 'applied', shape: 'v2_json' })).toBe(1);
    expect(value(samples, 'gateway_postbacks_total', { outcome: 'duplicate', shape: 'v2_json' })).toBe(1);
    expect(value(samples, 'gateway_postbacks_total', { outcome: 'duplicate', shape: 'v2_form' })).toBe(1);
    expect(
      value(samples, 'gateway_postbacks_total', { outcome: 'webhook_credentials_invalid', shape: 'unknown' }),
    ).toBe(1);
    const http = (route: string, status: string) =>
      value(samples, 'gateway_http_request_duration_seconds_count', { method: 'POST', route, status });
    expect(http('/api/v1/webhooks/scorm-cloud', '200')).toBe(2);
    expect(http('/api/v1/webhooks/scorm-cloud', '401')).toBe(1);
    expect(http('/api/results', '200')).toBe(1);
  });

  it('times calls to Bazaar and SCORM Cloud by system, operation and status', async () => {
    const teacher = await userToken('teacher-1', 'teacher');
    const res = await browse(stack.gateway, teacher, {
      ...bazaarUser(),
      return_url: `${stack.sandbox.url}/demo`,
    });
    expect(res.status).toBe(200);
    await request(stack.gateway.url).get('/api/v1/scorm/courses').set(admin).expect(200);

    const samples = await scrape();
    const upstream = (labels: Record<string, string>) =>
      value(samples, 'gateway_upstream_request_duration_seconds_count', labels);
    expect(upstream({ operation: 'lms/browse', status: '200', system: 'bazaar' })).toBe(1);
    expect(upstream({ operation: 'GET courses', status: '200', system: 'scorm_cloud' })).toBeGreaterThanOrEqual(1);
  });

  it('records each reconciliation pass: registrations checked, their results and the pass duration', async () => {
    // reg-metrics-1's progress so far came only from a postback, so the pass re-reads it from SCORM Cloud.
    const run = await stack.gateway.app.get(PostbackReconciliationJob).run();
    expect(run.checked).toBeGreaterThanOrEqual(1);

    const samples = await scrape();
    expect(value(samples, 'gateway_reconciliation_checked_total')).toBe(run.checked);
    expect(value(samples, 'gateway_reconciliation_results_total', { result: 'refreshed' })).toBe(run.refreshed);
    expect(value(samples, 'gateway_reconciliation_results_total', { result: 'deleted_upstream' })).toBe(
      run.deletedUpstream,
    );
    expect(value(samples, 'gateway_reconciliation_results_total', { result: 'failed' })).toBe(run.failed);
    expect(value(samples, 'gateway_reconciliation_pass_duration_seconds_count')).toBe(1);
    // The pass read the registration from SCORM Cloud's API, and that call is timed too.
    expect(
      value(samples, 'gateway_upstream_request_duration_seconds_count', { operation: 'GET registrations/{id}' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('reports the database connection pool', async () => {
    const samples = await scrape();
    if (stack.gateway.database.url.startsWith('postgres')) {
      expect(value(samples, 'gateway_db_pool_max_connections')).toBe(10);
      expect(value(samples, 'gateway_db_pool_connections')).toBeGreaterThanOrEqual(1);
      expect(value(samples, 'gateway_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
      expect(value(samples, 'gateway_db_pool_waiting_clients')).toBe(0);
    } else {
      expect(value(samples, 'gateway_db_pool_connections')).toBe(1);
      expect(value(samples, 'gateway_db_pool_max_connections')).toBe(1);
      expect(value(samples, 'gateway_db_pool_idle_connections')).toBeUndefined();
    }
  });
});
