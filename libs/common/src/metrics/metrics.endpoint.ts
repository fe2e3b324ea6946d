import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import cluster from 'node:cluster';
import { Server } from 'node:http';

import { answerClusterScrapes } from './cluster-metrics.aggregator';
import { GatewayMetrics } from './gateway.metrics';
import { closeScrapeListener, listenForScrapes } from './metrics.listener';

/**
 * Serves `GET /metrics` on its own listener (METRICS_PORT on METRICS_HOST, loopback by default), so the
 * public API never exposes it and a load balancer never routes to it. With METRICS_TOKEN set, a scrape must
 * bring it as a Bearer token (Prometheus: `authorization: {credentials: …}`). In a WEB_CONCURRENCY worker the
 * cluster's primary serves the port with every worker's metrics combined; the worker answers its requests.
 */
@Injectable()
export class MetricsEndpoint implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly config: AppConfigService,
    private readonly metrics: GatewayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (cluster.isWorker && cluster.worker) {
      answerClusterScrapes(this.metrics.registry, cluster.worker.id);
      return;
    }
    const { host, port, token } = this.config.metrics;
    if (port === undefined) return;
    this.server = await listenForScrapes(
      { host, port, token },
      async () => ({ body: await this.metrics.scrape(), contentType: this.metrics.registry.contentType }),
      (error) => this.logger.error({ err: error }, 'Collecting metrics failed'),
    );
    this.logger.log(
      `Prometheus metrics at http://${host}:${port}/metrics${token ? ' (scrapes must bring METRICS_TOKEN)' : ''}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeScrapeListener(server);
  }
}
