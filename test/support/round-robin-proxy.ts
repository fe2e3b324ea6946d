import { IncomingMessage, ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  port: number;
  /** How many requests each backend (by URL) was handed. */
  handled: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A small load balancer in front of several gateways, as nginx would be: each request goes to the next backend in
 * turn, with the client's address appended to X-Forwarded-For. A backend that refuses the connection (it is down)
 * is skipped for that request, since nothing reached it; any other failure answers 502.
 */
export async function startRoundRobinProxy(backends: string[]): Promise<RoundRobinProxy> {
  let next = 0;
  const handled = new Map<string, number>(backends.map((backend) => [backend, 0]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), next++, 0));
  });
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, turn: number, tries: number) => {
    const backend = backends[turn % backends.length];
    const target = new URL(backend);
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = request(
      {
        headers: { ...req.headers, 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'http' },
        host: target.hostname,
        method: req.method,
        path: req.url,
        port: target.port,
      },
      (answer) => {
        handled.set(backend, (handled.get(backend) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' && tries < backends.length - 1) {
        forward(req, res, body, turn + 1, tries + 1);
      } else if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'PROXY_UPSTREAM_FAILED', message: String(error.message) }));
      } else {
        res.destroy();
      }
    });
    // A client that goes away closes its upstream request too, as nginx does (a held event stream ends with it).
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    handled,
    port,
    url: `http://127.0.0.1:${port}`,
  };
}
