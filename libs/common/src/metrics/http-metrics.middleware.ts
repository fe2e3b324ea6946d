import { IncomingMessage, METHODS, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

import { GatewayMetrics } from './gateway.metrics';

type RoutedRequest = IncomingMessage & { route?: { path?: unknown; methods?: Record<string, boolean> } };

/** Requests that matched no route share one label, so probing random paths cannot multiply the series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request through Express, labelled with the matched route's template (`/api/v1/scorm/registrations/:id`,
 * never the raw path with its ids). Installed first, so answers from guards, pipes and body-parser count too.
 */
export function httpMetricsMiddleware(metrics: GatewayMetrics) {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    res.once('close', () => {
      // Nest's catch-all not-found route (`/{*path}`, every method) is no route of ours.
      const methods = req.route?.methods;
      const route = methods && Object.keys(methods).length >= METHODS.length ? undefined : req.route?.path;
      metrics.observeHttp(
        req.method ?? 'GET',
        typeof route === 'string' ? route : UNMATCHED_ROUTE,
        res.writableFinished ? res.statusCode : 'aborted',
        started,
      );
    });
    next();
  };
}
