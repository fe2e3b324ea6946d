import { GatewayMetrics } from './gateway.metrics';

/** `name{labels} value` lines of one metric whose labels include all of `labels`, summed. */
function total(text: string, name: string, labels: string[] = []): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => labels.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('GatewayMetrics', () => {
  it('records event deliveries by subscription and result, with their duration and lag', async () => {
    const metrics = new GatewayMetrics();
    metrics.recordEventDelivery('sub-1', 'delivered', 120, 1_500);
    metrics.recordEventDelivery('sub-1', 'failed', 5_000, 310_000);
    const text = await metrics.scrape();
    expect(total(text, 'gateway_event_delivery_duration_seconds_count', ['subscription="sub-1"'])).toBe(2);
    expect(total(text, 'gateway_event_delivery_duration_seconds_sum', ['result="delivered"'])).toBeCloseTo(0.12);
    expect(total(text, 'gateway_event_delivery_lag_seconds_sum', ['result="failed"'])).toBeCloseTo(310);
    // A retry 5 min after the event lands in the 30 min bucket, not in the 5 s one.
    expect(total(text, 'gateway_event_delivery_lag_seconds_bucket', ['result="failed"', 'le="5"'])).toBe(0);
    expect(total(text, 'gateway_event_delivery_lag_seconds_bucket', ['result="failed"', 'le="1800"'])).toBe(1);
  });

  it('labels an upstream call by its HTTP status, or timeout and network_error when none came back', async () => {
    const metrics = new GatewayMetrics();
    await metrics.timeUpstream('bazaar', 'lms/view', async () => ({ status: 403 }));
    const timeout = Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' });
    await expect(metrics.timeUpstream('bazaar', 'lms/view', () => Promise.reject(timeout))).rejects.toBe(timeout);
    const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    await expect(metrics.timeUpstream('bazaar', 'lms/view', () => Promise.reject(reset))).rejects.toBe(reset);
    const text = await metrics.scrape();
    for (const status of ['403', 'timeout', 'network_error']) {
      expect(total(text, 'gateway_upstream_request_duration_seconds_count', [`status="${status}"`])).toBe(1);
    }
  });

  it('exports only the pool readings the database has', async () => {
    const sqlite = new GatewayMetrics();
    sqlite.observeDatabasePool(() => ({ max: 1, total: 1 }));
    const text = await sqlite.scrape();
    expect(total(text, 'gateway_db_pool_connections')).toBe(1);
    expect(text).not.toContain('gateway_db_pool_idle_connections');

    let waiting = 0;
    const postgres = new GatewayMetrics();
    postgres.observeDatabasePool(() => ({ idle: 2, max: 10, total: 3, waiting }));
    waiting = 4;
    expect(total(await postgres.scrape(), 'gateway_db_pool_waiting_clients')).toBe(4);
  });
});
