import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  elapsedMs: number;
  /** Parsed JSON body, or undefined when it is not JSON. */
  json?: Record<string, unknown>;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

/**
 * Sends exactly these bytes and headers (no client-side encoding or validation, unlike supertest), with a
 * hard deadline: a hang is reported as an error, not waited out. An event stream that opens answers at its headers.
 */
export function rawRequest(baseUrl: string, options: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const started = performance.now();
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        headers: { ...options.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
        host: url.hostname,
        insecureHTTPParser: true,
        method: options.method,
        path: options.path,
        port: url.port,
      },
      (res) => {
        const chunks: Buffer[] = [];
        // An open event stream never ends: its answer is the status and headers, then the connection is let go.
        if (res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream')) {
          req.destroy();
          resolve({ body: Buffer.alloc(0), elapsedMs: performance.now() - started, headers: res.headers, status: 200 });
          return;
        }
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          let json: Record<string, unknown> | undefined;
          try {
            json = buffer.length ? (JSON.parse(buffer.toString('utf8')) as Record<string, unknown>) : undefined;
          } catch {
            json = undefined;
          }
          resolve({
            body: buffer,
            elapsedMs: performance.now() - started,
            headers: res.headers,
            json,
            status: res.statusCode ?? 0,
          });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 15_000, () => {
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms (hang)`));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The one error body every 4xx/5xx must have; returns what is wrong with it, or undefined. */
export function errorShapeProblem(response: RawResponse): string | undefined {
  const body = response.json;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body is not a JSON object';
  if (body.statusCode !== response.status) return `statusCode ${String(body.statusCode)} ≠ HTTP ${response.status}`;
  for (const key of ['error', 'message', 'code', 'request_id'] as const) {
    if (typeof body[key] !== 'string' || !(body[key] as string).length) return `"${key}" is not a non-empty string`;
  }
  if (/at .*\.(ts|js):\d+/.test(response.body.toString('utf8'))) return 'the body carries a stack trace';
  return undefined;
}
