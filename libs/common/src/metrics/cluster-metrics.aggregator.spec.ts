import { Counter, Gauge, Registry } from 'prom-client';

import { ClusterMetricsAggregator, ScrapedWorker } from './cluster-metrics.aggregator';

/** A worker as the primary sees it, with a registry of its own; `silent` ones never answer. */
class FakeWorker implements ScrapedWorker {
  readonly registry = new Registry();
  readonly requests = new Counter({
    help: 'h',
    labelNames: ['route'],
    name: 'requests_total',
    registers: [this.registry],
  });
  readonly pool = new Gauge({ aggregator: 'max', help: 'h', name: 'pool_max', registers: [this.registry] });
  silent = false;

  constructor(
    readonly id: number,
    private readonly aggregator: () => ClusterMetricsAggregator,
  ) {}

  send(message: unknown): boolean {
    const { id } = message as { id: number };
    if (!this.silent) {
      void this.registry
        .getMetricsAsJSON()
        // Through JSON, as IPC sends it (getMetricsAsJSON's values are the live counters' own objects).
        .then((metrics) =>
          this.aggregator().receive(this, JSON.parse(JSON.stringify({ id, metrics, type: 'lms-gateway:metrics' }))),
        );
    }
    return true;
  }
}

/** `name{labels} value` lines of one metric, summed. */
function total(text: string, name: string): number | undefined {
  const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
  return lines.length ? lines.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0) : undefined;
}

describe('ClusterMetricsAggregator', () => {
  let aggregator: ClusterMetricsAggregator;
  const worker = (id: number) => new FakeWorker(id, () => aggregator);

  beforeEach(() => (aggregator = new ClusterMetricsAggregator(200)));

  it('sums counters over the workers and combines gauges as each declares', async () => {
    const [a, b] = [worker(1), worker(2)];
    a.requests.inc({ route: '/x' }, 3);
    b.requests.inc({ route: '/x' }, 4);
    a.pool.set(10);
    b.pool.set(7);
    const text = await aggregator.scrape([a, b]);
    expect(total(text, 'requests_total')).toBe(7);
    expect(total(text, 'pool_max')).toBe(10);
    expect(total(text, 'gateway_cluster_workers')).toBe(2);
  });

  it("keeps a dead worker's counters in the totals, but not its gauges", async () => {
    const [a, b] = [worker(1), worker(2)];
    a.requests.inc({ route: '/x' }, 3);
    b.requests.inc({ route: '/x' }, 4);
    b.pool.set(30);
    await aggregator.scrape([a, b]);
    aggregator.retire(b);
    const replacement = worker(3);
    replacement.requests.inc({ route: '/x' }, 1);
    replacement.pool.set(5);
    const text = await aggregator.scrape([a, replacement]);
    expect(total(text, 'requests_total')).toBe(8);
    expect(total(text, 'pool_max')).toBe(5);
    expect(total(text, 'gateway_cluster_worker_exits_total')).toBe(1);
    // Several retired workers fold into one set of totals.
    aggregator.retire(a);
    const third = worker(4);
    expect(total(await aggregator.scrape([replacement, third]), 'requests_total')).toBe(8);
    expect(total(await aggregator.scrape([replacement, third]), 'requests_total')).toBe(8);
  });

  it('counts a worker that does not answer in time with its last report, and stops waiting for one that exits', async () => {
    const [a, b] = [worker(1), worker(2)];
    a.requests.inc({ route: '/x' }, 3);
    b.requests.inc({ route: '/x' }, 4);
    await aggregator.scrape([a, b]);
    b.silent = true;
    b.requests.inc({ route: '/x' }, 100);
    const slow = await aggregator.scrape([a, b]);
    expect(total(slow, 'requests_total')).toBe(7);
    expect(total(slow, 'gateway_cluster_workers')).toBe(1);

    const started = Date.now();
    const pending = aggregator.scrape([a, b]);
    aggregator.retire(b);
    expect(total(await pending, 'requests_total')).toBe(7);
    expect(Date.now() - started).toBeLessThan(150);
  });

  it('answers an empty scrape when no worker listens yet', async () => {
    expect(total(await aggregator.scrape([]), 'gateway_cluster_workers')).toBe(0);
  });
});
