import { ClusterMetricsAggregator, closeScrapeListener, listenForScrapes } from '@app/common';
import type { AppConfig } from '@app/config';
import cluster, { Worker } from 'node:cluster';
import { Server } from 'node:http';
import pino from 'pino';

/** The message a worker sends once it listens. */
export const WORKER_READY = 'lms-gateway:ready';
/** How long workers get to drain on SIGTERM/SIGINT before they are killed. */
const SHUTDOWN_GRACE_MS = 30_000;
const RESTART_DELAY_MS = 1000;

/**
 * WEB_CONCURRENCY=N: this process forks N gateway workers that share the listening port (node:cluster hands
 * connections round-robin) and one PostgreSQL database. A worker that fails at start-up stops them all (its reason
 * is on stderr); one that dies later is replaced. SIGTERM or SIGINT drains every worker, then this process exits.
 * With METRICS_PORT set, this process serves it: a scrape asks every listening worker and answers them combined.
 */
export async function runCluster(
  workers: number,
  { log, metrics }: Pick<AppConfig, 'log' | 'metrics'>,
): Promise<number> {
  // The same JSON lines and destination as the workers' logs (nothing else in this process logs).
  const logger = pino(
    { base: { context: 'Cluster', pid: process.pid }, level: log.level },
    log.file ? pino.destination({ dest: log.file, mkdir: true, sync: true }) : undefined,
  );
  const ready = new Set<number>();
  const aggregator = new ClusterMetricsAggregator();
  const scrapes =
    metrics.port === undefined
      ? undefined
      : await serveMetrics({ ...metrics, port: metrics.port }, aggregator, ready, logger);
  let stopping = false;
  let exitCode = 0;
  return new Promise((resolve) => {
    const fork = () => {
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        if (message !== WORKER_READY) return aggregator.receive(worker, message);
        ready.add(worker.id);
        if (ready.size === workers) logger.info(`${workers} gateway workers listening`);
      });
    };
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
      for (const worker of live()) worker.process.kill('SIGTERM');
      setTimeout(() => live().forEach((worker) => worker.process.kill('SIGKILL')), SHUTDOWN_GRACE_MS).unref();
    };
    cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
      const started = ready.delete(worker.id);
      aggregator.retire(worker);
      if (!stopping && !started) {
        logger.error(`Worker ${worker.process.pid} failed to start (exit ${code ?? signal}); stopping`);
        exitCode = 1;
        stop('SIGTERM');
      } else if (!stopping) {
        logger.error(`Worker ${worker.process.pid} died (exit ${code ?? signal}); starting a replacement`);
        setTimeout(() => !stopping && fork(), RESTART_DELAY_MS).unref();
      }
      if (stopping && !live().length)
        void (scrapes ? closeScrapeListener(scrapes) : Promise.resolve()).then(() => resolve(exitCode));
    });
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    for (let i = 0; i < workers; i++) fork();
  });
}

async function serveMetrics(
  options: AppConfig['metrics'] & { port: number },
  aggregator: ClusterMetricsAggregator,
  ready: Set<number>,
  logger: pino.Logger,
): Promise<Server> {
  const server = await listenForScrapes(
    options,
    async () => ({
      body: await aggregator.scrape(live().filter((worker) => ready.has(worker.id))),
      contentType: aggregator.contentType,
    }),
    (error) => logger.error({ err: error }, 'Collecting metrics failed'),
  );
  logger.info(
    `Prometheus metrics of all workers at http://${options.host}:${options.port}/metrics${options.token ? ' (scrapes must bring METRICS_TOKEN)' : ''}`,
  );
  return server;
}

function live(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker && !worker.isDead());
}
