import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';

import { sha256 } from '../security/constant-time';
import { GatewayMetrics } from './gateway.metrics';

/**
 * Serves `GET /metrics` on its own listener (METRICS_PORT on METRICS_HOST, loopback by default), so the
 * public API never exposes it and a load balancer never routes to it. With METRICS_TOKEN set, a scrape must
 * bring it as a Bearer token (Prometheus: `authorization: {credentials: …}`).
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
    const { host, port, token } = this.config.metrics;
    if (port === undefined) return;
    const expected = token ? sha256(`Bearer ${token}`) : undefined;
    const server = createServer((req, res) => void this.serve(req, res, expected));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new Error(`METRICS_PORT ${port} on METRICS_HOST ${host} cannot be used: ${error.code ?? error.message}`),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.log(
      `Prometheus metrics at http://${host}:${port}/metrics${token ? ' (scrapes must bring METRICS_TOKEN)' : ''}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse, expected: Buffer | undefined): Promise<void> {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') return answer(res, 404, 'Not found: metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return answer(res, 405, 'Method not allowed\n');
    }
    if (expected && !timingSafeEqual(sha256(req.headers.authorization ?? ''), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="lms-gateway-metrics"');
      return answer(res, 401, 'Unauthorized: send Authorization: Bearer <METRICS_TOKEN>\n');
    }
    try {
      const body = await this.metrics.scrape();
      res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Type': this.metrics.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: error }, 'Collecting metrics failed');
      answer(res, 500, 'Collecting metrics failed\n');
    }
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
