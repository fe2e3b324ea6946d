import { Server, createServer } from 'node:http';
import { join } from 'node:path';

import { freePort } from './support/free-port';
import { GatewayProcess, spawnGateway } from './support/gateway-process';
import { createLogCapture } from './support/log-capture';
import { RunningSandbox, gatewayEnv, startSandbox } from './support/stack';
import { TestDatabase, createTestDatabase } from './support/test-database';
import { TEST_API_KEY } from './support/tokens';

const ROOT = join(__dirname, '..');
const REQUEST_ID = 'trace-e2e-request-0001';

/** OTLP/JSON's AnyValue: one of these is set. */
interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  arrayValue?: { values: AnyValue[] };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: AnyValue }[];
  scope: string;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

const plain = (value: AnyValue | undefined): unknown =>
  value?.arrayValue ? value.arrayValue.values.map(plain) : (value?.stringValue ?? value?.intValue);
const attribute = (span: OtlpSpan, key: string) => plain(span.attributes.find((a) => a.key === key)?.value);

/**
 * The gateway with tracing on, as production runs it (its own process: the instrumentations patch modules as
 * Node loads them, which Jest's module loader bypasses). It exports over OTLP/HTTP JSON to a collector this
 * test plays, which keeps every span in memory.
 */
describe('OpenTelemetry traces', () => {
  const spans: OtlpSpan[] = [];
  let collector: Server;
  let sandbox: RunningSandbox;
  let database: TestDatabase;
  let gateway: GatewayProcess;
  let logs: ReturnType<typeof createLogCapture>;
  let env: Record<string, string>;
  let logText = '';

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/json') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans: { scopeSpans: { scope: { name: string }; spans: Omit<OtlpSpan, 'scope'>[] }[] }[];
          };
          for (const { scopeSpans } of body.resourceSpans)
            for (const { scope, spans: list } of scopeSpans)
              spans.push(...list.map((s) => ({ ...s, scope: scope.name })));
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    const collectorPort = await freePort();
    await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));

    sandbox = await startSandbox();
    database = await createTestDatabase();
    logs = createLogCapture();
    const port = await freePort();
    const metricsPort = await freePort();
    env = {
      ...gatewayEnv(port, sandbox.port, database.url),
      LOG_LEVEL: 'info',
      ...logs?.env,
      METRICS_PORT: String(metricsPort),
      // Spans leave only at shutdown: proves the flush on SIGTERM.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'lms-gateway-e2e',
    };
    gateway = spawnGateway(env, ROOT);
    await gateway.waitHealthy();

    const headers = { Authorization: `Bearer ${TEST_API_KEY}`, 'X-Request-Id': REQUEST_ID };
    const missing = await fetch(`${gateway.url}/api/v1/scorm/registrations/trace-reg-404`, { headers });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe(REQUEST_ID);
    const courses = await fetch(`${gateway.url}/api/v1/scorm/courses`, {
      headers: { ...headers, 'X-Request-Id': `${REQUEST_ID}-courses` },
    });
    expect(courses.status).toBe(200);
    // Neither liveness probes nor scrapes make traces.
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);

    await gateway.stop('SIGTERM');
    logText = logs?.read() ?? '';
  });

  afterAll(async () => {
    await gateway?.stop();
    await sandbox?.close();
    await database?.drop();
    await new Promise((resolve) => collector?.close(resolve));
    logs?.check(env);
  });

  const serverSpan = (route: string) =>
    spans.find((s) => s.kind === SPAN_KIND_SERVER && attribute(s, 'http.route') === route);

  it('exports the HTTP server span with the route template, the status and the request id', () => {
    const span = serverSpan('/api/v1/scorm/registrations/:id');
    expect(span).toBeDefined();
    expect(span!.scope).toBe('@opentelemetry/instrumentation-http');
    expect(attribute(span!, 'http.response.status_code')).toBe(404);
    expect(attribute(span!, 'http.response.header.x-request-id')).toEqual([REQUEST_ID]);
  });

  it('nests the Express and NestJS spans, and the database query on PostgreSQL, in the same trace', () => {
    const { traceId } = serverSpan('/api/v1/scorm/registrations/:id')!;
    const scopes = new Set(spans.filter((s) => s.traceId === traceId).map((s) => s.scope));
    expect(scopes).toContain('@opentelemetry/instrumentation-express');
    expect(scopes).toContain('@opentelemetry/instrumentation-nestjs-core');
    if (database.kind === 'postgres') {
      const query = spans.find(
        (s) =>
          s.traceId === traceId && s.scope === '@opentelemetry/instrumentation-pg' && s.name.startsWith('pg.query'),
      );
      expect(query).toBeDefined();
      expect(attribute(query!, 'db.system.name')).toBe('postgresql');
      expect(String(attribute(query!, 'db.query.text'))).toMatch(/scorm_registrations/);
    }
  });

  it('follows the call to SCORM Cloud as a client span of the same trace', () => {
    const { traceId } = serverSpan('/api/v1/scorm/courses')!;
    const client = spans.find(
      (s) => s.traceId === traceId && s.kind === SPAN_KIND_CLIENT && s.scope === '@opentelemetry/instrumentation-http',
    );
    expect(client).toBeDefined();
    expect(String(attribute(client!, 'url.full'))).toContain(`127.0.0.1:${sandbox.port}/scorm/api/v2/courses`);
  });

  it('makes no trace of liveness probes and metric scrapes', () => {
    const paths = spans.filter((s) => s.kind === SPAN_KIND_SERVER).map((s) => String(attribute(s, 'url.path')));
    expect(paths).toContain('/api/v1/scorm/courses');
    expect(paths).not.toContain('/health');
    expect(paths).not.toContain('/metrics');
  });

  it('writes the request id and the trace id together in the log lines', () => {
    const { spanId, traceId } = serverSpan('/api/v1/scorm/registrations/:id')!;
    const lines = logText
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { req?: { id?: string }; trace_id?: string; span_id?: string });
    const line = lines.find((l) => l.req?.id === REQUEST_ID && l.trace_id);
    expect(line).toBeDefined();
    expect(line!.trace_id).toBe(traceId);
    expect(typeof line!.span_id).toBe('string');
    expect(spans.some((s) => s.spanId === line!.span_id || s.spanId === spanId)).toBe(true);
  });
});
