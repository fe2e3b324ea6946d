import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { Aggregator, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The outside systems the gateway calls; `operation` names the call within one (a method and path template). */
export type UpstreamSystem = 'bazaar' | 'scorm_cloud';

export interface ReconciliationPass {
  checked: number;
  refreshed: number;
  deletedUpstream: number;
  failed: number;
}

/** A connection pool's state at scrape time. */
export interface DatabasePoolState {
  total: number;
  idle?: number;
  waiting?: number;
  max: number;
}

const POOL_GAUGES: [keyof DatabasePoolState, string, string][] = [
  ['total', 'gateway_db_pool_connections', 'Open database connections (SQLite: its one connection)'],
  ['idle', 'gateway_db_pool_idle_connections', 'Open database connections not in use'],
  ['waiting', 'gateway_db_pool_waiting_clients', 'Queries waiting for a free database connection'],
  ['max', 'gateway_db_pool_max_connections', 'Most connections the pool opens'],
];

/**
 * How a default metric combines across WEB_CONCURRENCY workers where prom-client's sum is wrong: a per-process
 * limit. (Event-loop lag, start time and version already declare theirs; memory, handles and pool use add up.)
 */
const CLUSTER_AGGREGATION: Record<string, Aggregator> = { process_max_fds: 'max' };

/** Seconds: a request answered from memory up to a slow upstream's time-out. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: event delivery retries run from 5 s to 10 h after the event (the Standard Webhooks schedule). */
const LAG_BUCKETS = [0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 7200, 18_000, 36_000, 72_000, 86_400];

/**
 * Every Prometheus metric the gateway exports, in one registry per application (two apps in one process,
 * as in the e2e tests, never share or collide). Recording is a few hash look-ups, so it is always on;
 * METRICS_PORT only decides whether the registry is served.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    buckets: LATENCY_BUCKETS,
    help: 'HTTP requests answered by the gateway, by method, route template (not the raw path) and status',
    labelNames: ['method', 'route', 'status'] as const,
    name: 'gateway_http_request_duration_seconds',
    registers: [this.registry],
  });

  private readonly postbacks = new Counter({
    help: 'SCORM Cloud postbacks by shape (v2_json, v2_form, v1_form, v1_xml, query; unknown when refused before parsing) and outcome (applied, stale, unknown_registration, duplicate, or the error code)',
    labelNames: ['shape', 'outcome'] as const,
    name: 'gateway_postbacks_total',
    registers: [this.registry],
  });

  private readonly upstreamDuration = new Histogram({
    buckets: LATENCY_BUCKETS,
    help: 'Calls to Bazaar and SCORM Cloud by system, operation and HTTP status (timeout or network_error when none came back)',
    labelNames: ['system', 'operation', 'status'] as const,
    name: 'gateway_upstream_request_duration_seconds',
    registers: [this.registry],
  });

  private readonly reconciliationChecked = new Counter({
    help: 'Registrations the postback reconciliation job re-read from SCORM Cloud',
    name: 'gateway_reconciliation_checked_total',
    registers: [this.registry],
  });

  private readonly reconciliationResults = new Counter({
    help: 'Reconciled registrations by result: refreshed, deleted_upstream or failed',
    labelNames: ['result'] as const,
    name: 'gateway_reconciliation_results_total',
    registers: [this.registry],
  });

  private readonly reconciliationDuration = new Histogram({
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    help: 'How long one reconciliation pass took',
    name: 'gateway_reconciliation_pass_duration_seconds',
    registers: [this.registry],
  });

  private readonly eventDeliveryDuration = new Histogram({
    buckets: LATENCY_BUCKETS,
    help: "Event delivery attempts to an LMS subscription by result, timed from request to the LMS's answer",
    labelNames: ['subscription', 'result'] as const,
    name: 'gateway_event_delivery_duration_seconds',
    registers: [this.registry],
  });

  private readonly eventDeliveryLag = new Histogram({
    buckets: LAG_BUCKETS,
    help: 'Time from an event being written to a delivery attempt ending, by subscription and result',
    labelNames: ['subscription', 'result'] as const,
    name: 'gateway_event_delivery_lag_seconds',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const [name, aggregator] of Object.entries(CLUSTER_AGGREGATION)) {
      const metric = this.registry.getSingleMetric(name) as { aggregator?: Aggregator } | undefined;
      if (metric) metric.aggregator = aggregator;
    }
  }

  /** `started` from performance.now(). */
  observeHttp(method: string, route: string, status: number | string, started: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, (performance.now() - started) / 1000);
  }

  recordPostback(shape: string, outcome: string): void {
    this.postbacks.inc({ outcome, shape });
  }

  /**
   * Times one HTTP call to an outside system. `call` resolves with the response whatever its status (the
   * clients validate statuses themselves) or rejects with a transport error (axios-shaped: `response`, `code`).
   */
  async timeUpstream<T extends { status: number }>(
    system: UpstreamSystem,
    operation: string,
    call: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    let status = 'network_error';
    try {
      const response = await call();
      status = String(response.status);
      return response;
    } catch (error) {
      status = transportStatus(error);
      throw error;
    } finally {
      this.upstreamDuration.observe({ operation, status, system }, (performance.now() - started) / 1000);
    }
  }

  recordReconciliation(pass: ReconciliationPass, durationMs: number): void {
    this.reconciliationChecked.inc(pass.checked);
    this.reconciliationResults.inc({ result: 'refreshed' }, pass.refreshed);
    this.reconciliationResults.inc({ result: 'deleted_upstream' }, pass.deletedUpstream);
    this.reconciliationResults.inc({ result: 'failed' }, pass.failed);
    this.reconciliationDuration.observe(durationMs / 1000);
  }

  /**
   * One delivery attempt of an event to an LMS subscription. `subscription` is its id, never its URL (a URL
   * may carry credentials and is unbounded); `result` a short word such as delivered, failed, disabled;
   * `durationMs` the attempt's own time, `lagMs` from the event's creation to the attempt's end.
   */
  recordEventDelivery(subscription: string, result: string, durationMs: number, lagMs: number): void {
    this.eventDeliveryDuration.observe({ result, subscription }, durationMs / 1000);
    this.eventDeliveryLag.observe({ result, subscription }, Math.max(0, lagMs) / 1000);
  }

  /**
   * The database library reports its pool through this, once; read at each scrape. Only the readings the
   * pool has are exported (SQLite: one connection, no idle or waiting count).
   */
  observeDatabasePool(source: () => DatabasePoolState): void {
    const first = source();
    for (const [key, name, help] of POOL_GAUGES) {
      if (first[key] === undefined) continue;
      new Gauge({
        collect() {
          const value = source()[key];
          if (value !== undefined) this.set(value);
        },
        help,
        name,
        registers: [this.registry],
      });
    }
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The label of a call that got no HTTP answer (or an axios error that still carries one). */
function transportStatus(error: unknown): string {
  const { code, response } = (error ?? {}) as { code?: unknown; response?: { status?: unknown } };
  if (typeof response?.status === 'number') return String(response.status);
  return code === 'ETIMEDOUT' || code === 'ECONNABORTED' ? 'timeout' : 'network_error';
}
