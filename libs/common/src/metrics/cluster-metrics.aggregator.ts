import { AggregatorRegistry, Counter, Gauge, Registry, prometheusContentType } from 'prom-client';

/** One registry's metrics as `getMetricsAsJSON()` gives them: what a worker sends its primary. */
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Anything that can be asked over IPC: a node:cluster Worker. */
export interface ScrapedWorker {
  id: number;
  send(message: unknown): boolean;
}

const SCRAPE_REQUEST = 'lms-gateway:metrics-request';
const SCRAPE_ANSWER = 'lms-gateway:metrics';
/** Below Prometheus's default scrape timeout (10 s). */
const WORKER_ANSWER_MS = 5000;
/** Counters and histograms only grow; what a worker counted stays in the totals after it is gone. */
const MONOTONIC_TYPES = new Set(['counter', 'histogram']);

interface ScrapeAnswer {
  type: typeof SCRAPE_ANSWER;
  id: number;
  metrics?: MetricsJson;
  error?: string;
}

interface PendingScrape {
  answers: Map<number, MetricsJson>;
  waiting: Set<number>;
  settle(error?: Error): void;
}

/**
 * The primary's side of a WEB_CONCURRENCY cluster's metrics: asks every worker for its registry over IPC and
 * combines the answers with prom-client's `AggregatorRegistry.aggregate` (counters and histograms summed, gauges as
 * each declares with `aggregator`). It asks the workers it is given (those that listen), keeps the counters and
 * histograms each worker last reported, and adds them in for a worker that did not answer in time or has died, so
 * the machine's totals never go back when a worker is replaced.
 */
export class ClusterMetricsAggregator {
  readonly contentType = prometheusContentType;
  private readonly own = new Registry();
  private readonly workers = new Gauge({
    help: 'Gateway worker processes (WEB_CONCURRENCY) whose current metrics this scrape holds',
    name: 'gateway_cluster_workers',
    registers: [this.own],
  });
  private readonly exits = new Counter({
    help: 'Gateway worker processes that ended (each one that dies is replaced)',
    name: 'gateway_cluster_worker_exits_total',
    registers: [this.own],
  });
  private readonly pending = new Map<number, PendingScrape>();
  /** Worker id → the counters and histograms of its latest answer. */
  private readonly lastSeen = new Map<number, MetricsJson>();
  private retired: MetricsJson[] = [];
  private nextId = 0;

  constructor(private readonly answerWithinMs = WORKER_ANSWER_MS) {}

  /** The Prometheus exposition of `workers` together. */
  async scrape(workers: ScrapedWorker[]): Promise<string> {
    const answers = await this.ask(workers);
    const parts: MetricsJson[] = [];
    for (const worker of workers) {
      const answer = answers.get(worker.id) ?? this.lastSeen.get(worker.id);
      if (answer) parts.push(answer);
    }
    if (this.retired.length > 1) this.retired = [await AggregatorRegistry.aggregate(this.retired).getMetricsAsJSON()];
    this.workers.set(answers.size);
    parts.push(...this.retired, await this.own.getMetricsAsJSON());
    return AggregatorRegistry.aggregate(parts).metrics();
  }

  /** A message from a worker; those that are not metrics answers are ignored. */
  receive(worker: ScrapedWorker, message: unknown): void {
    if (!isAnswer(message)) return;
    const scrape = this.pending.get(message.id);
    if (!scrape?.waiting.delete(worker.id)) return;
    if (message.error !== undefined || !message.metrics) {
      scrape.settle(new Error(`worker ${worker.id}: ${message.error ?? 'no metrics'}`));
      return;
    }
    scrape.answers.set(worker.id, message.metrics);
    this.lastSeen.set(
      worker.id,
      message.metrics.filter((metric) => MONOTONIC_TYPES.has(String(metric.type))),
    );
    if (!scrape.waiting.size) scrape.settle();
  }

  /** A worker ended: scrapes stop waiting for it, and its last counters and histograms stay in the totals. */
  retire(worker: ScrapedWorker): void {
    this.exits.inc();
    for (const scrape of this.pending.values()) {
      if (scrape.waiting.delete(worker.id) && !scrape.waiting.size) scrape.settle();
    }
    const last = this.lastSeen.get(worker.id);
    this.lastSeen.delete(worker.id);
    if (last) this.retired.push(last);
  }

  private ask(workers: ScrapedWorker[]): Promise<Map<number, MetricsJson>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const scrape: PendingScrape = {
        answers: new Map(),
        settle: (error) => {
          clearTimeout(timer);
          this.pending.delete(id);
          if (error) reject(error);
          else resolve(scrape.answers);
        },
        waiting: new Set(),
      };
      // A worker too busy to answer in time counts with what it reported last.
      const timer = setTimeout(() => scrape.settle(), this.answerWithinMs);
      this.pending.set(id, scrape);
      for (const worker of workers) {
        try {
          if (worker.send({ id, type: SCRAPE_REQUEST })) scrape.waiting.add(worker.id);
        } catch {
          // Its IPC channel closed: it is exiting, and its exit retires it.
        }
      }
      if (!scrape.waiting.size) scrape.settle();
    });
  }
}

/**
 * A WEB_CONCURRENCY worker's side: answers the primary's requests with `registry`'s metrics, and adds one series
 * naming this worker, so a scrape shows which workers it covers.
 */
export function answerClusterScrapes(registry: Registry, workerId: number): void {
  new Gauge({
    help: 'When each gateway worker process (WEB_CONCURRENCY) started, one series per living worker',
    labelNames: ['worker', 'pid'] as const,
    name: 'gateway_worker_start_time_seconds',
    registers: [registry],
  }).set({ pid: String(process.pid), worker: String(workerId) }, Math.round(Date.now() / 1000 - process.uptime()));
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ id: message.id, metrics, type: SCRAPE_ANSWER }),
      (error: unknown) =>
        process.send?.({
          error: error instanceof Error ? error.message : String(error),
          id: message.id,
          type: SCRAPE_ANSWER,
        }),
    );
  });
}

function isRequest(message: unknown): message is { type: typeof SCRAPE_REQUEST; id: number } {
  const { id, type } = (message ?? {}) as { id?: unknown; type?: unknown };
  return type === SCRAPE_REQUEST && typeof id === 'number';
}

function isAnswer(message: unknown): message is ScrapeAnswer {
  const { id, type } = (message ?? {}) as { id?: unknown; type?: unknown };
  return type === SCRAPE_ANSWER && typeof id === 'number';
}
