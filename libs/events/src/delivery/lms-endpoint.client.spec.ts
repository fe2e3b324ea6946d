import type { AppConfigService } from '@app/config';
import { Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { LmsEndpointClient, RESPONSE_EXCERPT_BYTES } from './lms-endpoint.client';

const client = (env: 'production' | 'development', timeoutMs = 1_000) =>
  new LmsEndpointClient({ env, eventDelivery: { timeoutMs } } as unknown as AppConfigService);

describe('LmsEndpointClient (the one HTTP client for LMS webhook endpoints)', () => {
  let server: Server;
  let base = '';
  const seen: { path: string; body: string; headers: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ body: Buffer.concat(chunks).toString(), headers: req.headers, path: req.url ?? '' });
        if (req.url === '/redirect') return void res.writeHead(307, { location: '/elsewhere' }).end();
        if (req.url === '/busy') return void res.writeHead(503, { 'retry-after': '7' }).end('busy');
        if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(200_000));
        if (req.url === '/hang') return;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the body with its headers and answers the status', async () => {
    const c = client('development');
    const answer = await c.post(`${base}/hook?x=1`, { 'webhook-id': 'evt_1' }, '{"a":1}');
    expect(answer).toMatchObject({ statusCode: 204, excerpt: '' });
    expect(seen.at(-1)).toMatchObject({ body: '{"a":1}', path: '/hook?x=1' });
    expect(seen.at(-1)!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'evt_1' });
    await c.onModuleDestroy();
  });

  it('never follows a redirect, keeps Retry-After, and keeps only 1 kB of a large answer', async () => {
    const c = client('development');
    expect(await c.post(`${base}/redirect`, {}, '{}')).toMatchObject({ statusCode: 307 });
    expect(seen.some((s) => s.path === '/elsewhere')).toBe(false);
    expect(await c.post(`${base}/busy`, {}, '{}')).toMatchObject({ excerpt: 'busy', retryAfter: '7', statusCode: 503 });
    const big = await c.post(`${base}/big`, {}, '{}');
    expect(big.statusCode).toBe(200);
    expect(big.excerpt).toHaveLength(RESPONSE_EXCERPT_BYTES);
    await c.onModuleDestroy();
  });

  it('times out the whole exchange, and names a refused connection', async () => {
    const c = client('development', 200);
    expect(await c.post(`${base}/hang`, {}, '{}')).toMatchObject({ timedOut: true, error: 'no answer within 200 ms' });
    const refused = await c.post('http://127.0.0.1:9/hook', {}, '{}');
    expect(refused.statusCode).toBeUndefined();
    expect(refused.error).toMatch(/ECONNREFUSED/);
    await c.onModuleDestroy();
  });

  it('in production connects only to public addresses: a name resolving to loopback is refused at connect time', async () => {
    const c = client('production');
    const answer = await c.post('https://localhost:9/hook', {}, '{}');
    expect(answer.statusCode).toBeUndefined();
    expect(answer.error).toMatch(/localhost resolves to .*not a public address/);
    await c.onModuleDestroy();
  });
});
