import { timingSafeEqual } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';

import { sha256 } from '../security/constant-time';

export interface MetricsListenerOptions {
  host: string;
  port: number;
  token?: string;
}

export interface MetricsExposition {
  body: string;
  contentType: string;
}

/**
 * The `GET /metrics` listener on METRICS_PORT, shared by a single gateway process and by the primary of a
 * WEB_CONCURRENCY cluster, so both answer and authenticate scrapes the same way. `onError` hears a failed collection
 * (the scrape gets a 500).
 */
export async function listenForScrapes(
  { host, port, token }: MetricsListenerOptions,
  collect: () => Promise<MetricsExposition>,
  onError: (error: unknown) => void,
): Promise<Server> {
  const expected = token ? sha256(`Bearer ${token}`) : undefined;
  const server = createServer((req, res) => void serve(req, res, expected, collect, onError));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`METRICS_PORT ${port} on METRICS_HOST ${host} cannot be used: ${error.code ?? error.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function closeScrapeListener(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  expected: Buffer | undefined,
  collect: () => Promise<MetricsExposition>,
  onError: (error: unknown) => void,
): Promise<void> {
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
    const { body, contentType } = await collect();
    res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Type': contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (error) {
    onError(error);
    answer(res, 500, 'Collecting metrics failed\n');
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
