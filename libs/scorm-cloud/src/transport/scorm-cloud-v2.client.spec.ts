import { GatewayMetrics } from '@app/common';
import type { AppConfigService } from '@app/config';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ScormCloudV2Client, toProgress } from './scorm-cloud-v2.client';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const NEW_REGISTRATION = {
  courseId: 'c',
  learner: { firstName: 'A', id: 'l', lastName: 'B' },
  postback: { password: 'p', url: 'https://gw.example/api', username: 'u' },
  registrationId: 'r',
};

describe('ScormCloudV2Client against a local HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let handlers: Handler[];
  let seen: { method?: string; url?: string; auth?: string }[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ auth: req.headers.authorization, method: req.method, url: req.url });
      req.resume();
      const handler = handlers.shift();
      if (handler) handler(req, res);
      else res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    handlers = [];
    seen = [];
  });

  const client = (url = baseUrl, metrics = new GatewayMetrics()) =>
    new ScormCloudV2Client(
      new HttpService(axios.create()),
      { scormCloud: { appId: 'APP', baseUrl: url, secretKey: 'secret-key', timeoutMs: 300 } } as AppConfigService,
      metrics,
    );
  const json =
    (status: number, body?: unknown): Handler =>
    (_req, res) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));

  it('sends HTTP Basic appId:secretKey, asks for registration counts and follows `more` paging', async () => {
    handlers.push(
      json(200, { courses: [{ id: 'a', registrationCount: 3, title: 'A' }], more: 'p2' }),
      json(200, { courses: [{ id: 'b' }] }),
    );
    const courses = await client().listCourses();
    expect(courses.map((c) => [c.id, c.registrationCount])).toEqual([
      ['a', 3],
      ['b', null],
    ]);
    expect(seen[0].auth).toBe(`Basic ${Buffer.from('APP:secret-key').toString('base64')}`);
    expect(seen.map((s) => s.url)).toEqual([
      '/api/v2/courses?includeRegistrationCount=true',
      '/api/v2/courses?includeRegistrationCount=true&more=p2',
    ]);
  });

  it('retries a safe call on 503 and 429, then succeeds', async () => {
    handlers.push(json(503), json(429), json(200, { courses: [] }));
    await client().listCourses();
    expect(seen).toHaveLength(3);
  });

  it('never re-sends a POST after a 5xx', async () => {
    handlers.push(json(503), json(204));
    await expect(client().createRegistration(NEW_REGISTRATION)).rejects.toMatchObject({
      code: 'SCORM_CLOUD_UNAVAILABLE',
      kind: 'upstream_unavailable',
    });
    expect(seen).toHaveLength(1);
  });

  it('maps 401 to a 502-kind error saying our credentials were rejected', async () => {
    handlers.push(json(401, { message: 'nope' }));
    const error = await client()
      .listCourses()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SCORM_CLOUD_AUTH_REJECTED', kind: 'upstream_rejected' });
    expect((error as Error).message).toMatch(/SCORM Cloud rejected our credentials/);
  });

  it('maps 404 to not found, 400 to an upstream bad request carrying the message', async () => {
    handlers.push(json(404), json(400, { message: 'expiry out of range' }));
    await expect(client().registrationProgress('r1')).rejects.toMatchObject({ code: 'SCORM_CLOUD_NOT_FOUND' });
    const error = await client()
      .launchLink('r1', { expirySeconds: 60 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SCORM_CLOUD_BAD_REQUEST', kind: 'upstream_bad_request' });
    expect((error as Error).message).toContain('expiry out of range');
  });

  it('times out (504 kind) without retrying: the caller has already waited the whole time-out', async () => {
    for (let i = 0; i < 3; i++) handlers.push(() => undefined);
    const started = Date.now();
    await expect(client().listCourses()).rejects.toMatchObject({
      code: 'SCORM_CLOUD_TIMEOUT',
      kind: 'upstream_timeout',
    });
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a 2xx that is not the expected answer (HTML page, cut-off JSON, body on a 204 call)', async () => {
    handlers.push(
      (_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>maintenance</p>'),
      (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id": "half'),
      json(200, { error: 'x', success: 0 }),
    );
    const malformed = { code: 'SCORM_CLOUD_MALFORMED_RESPONSE', kind: 'upstream_unavailable' };
    await expect(client().listCourses()).rejects.toMatchObject(malformed);
    await expect(client().registrationProgress('r1')).rejects.toMatchObject(malformed);
    await expect(client().createRegistration(NEW_REGISTRATION)).rejects.toMatchObject(malformed);
  });

  it('reports a refused connection as unreachable', async () => {
    await expect(client('http://127.0.0.1:9/api/v2').listCourses()).rejects.toMatchObject({
      code: 'SCORM_CLOUD_UNREACHABLE',
    });
  });

  it('times every attempt by operation template and status, ids never in a label', async () => {
    const metrics = new GatewayMetrics();
    handlers.push(json(503), json(200, { id: 'r1' }), json(404), () => undefined);
    await client(baseUrl, metrics).registrationProgress('r1');
    await expect(client(baseUrl, metrics).deleteRegistration('r-42')).rejects.toMatchObject({
      code: 'SCORM_CLOUD_NOT_FOUND',
    });
    await expect(client(baseUrl, metrics).listCourses()).rejects.toMatchObject({ code: 'SCORM_CLOUD_TIMEOUT' });
    const text = await metrics.scrape();
    const count = (operation: string, status: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('gateway_upstream_request_duration_seconds_count{'))
        .filter((line) =>
          [`operation="${operation}"`, `status="${status}"`, 'system="scorm_cloud"'].every((l) => line.includes(l)),
        )
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(count('GET registrations/{id}', '503')).toBe(1);
    expect(count('GET registrations/{id}', '200')).toBe(1);
    expect(count('DELETE registrations/{id}', '404')).toBe(1);
    expect(count('GET courses', 'timeout')).toBe(1);
    expect(text).not.toMatch(/r-42|r1/);
  });

  it('erases a learner: deletes each registration (404 = already gone), then starts the PII deletion', async () => {
    handlers.push(json(204), json(404, { message: 'Registration not found' }), json(204));
    const erasure = await client().eraseLearner('l 1', ['r1', 'r2'], 'realm@example.org');
    expect(erasure).toMatchObject({ registrationsAlreadyGone: 1, registrationsDeleted: 1, status: 'accepted' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'DELETE /api/v2/registrations/r1',
      'DELETE /api/v2/registrations/r2',
      'POST /api/v2/learner/l%201/delete-information?userEmail=realm%40example.org',
    ]);
  });

  it('erases nothing upstream without a realm user, and stops at a registration SCORM Cloud fails to delete', async () => {
    await expect(client().eraseLearner('l', ['r1'])).rejects.toMatchObject({ code: 'LEARNER_DELETION_NOT_CONFIGURED' });
    expect(seen).toEqual([]);
    // Every attempt fails (DELETE is idempotent, so it is retried): r2 and the PII deletion are never asked.
    await expect(client().eraseLearner('l', ['r1', 'r2'], 'realm@example.org')).rejects.toMatchObject({
      kind: 'upstream_unavailable',
    });
    expect(new Set(seen.map((s) => `${s.method} ${s.url}`))).toEqual(new Set(['DELETE /api/v2/registrations/r1']));
  });

  it('clamps the launch link expiry to 10-300 s', async () => {
    let body = '';
    handlers.push((req, res) => {
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => json(200, { launchLink: 'https://player/x' })(req, res));
    });
    const link = await client().launchLink('r1', { expirySeconds: 3600, redirectUrl: 'https://lms/x' });
    expect(link.url).toBe('https://player/x');
    expect(JSON.parse(body)).toEqual({ expiry: 300, redirectOnExitUrl: 'https://lms/x' });
  });

  it("always sends redirectOnExitUrl, empty for the account's setting when the caller gives none", async () => {
    let body = '';
    handlers.push((req, res) => {
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => json(200, { launchLink: 'https://player/y' })(req, res));
    });
    await client().launchLink('r1', { expirySeconds: 120 });
    expect(JSON.parse(body)).toEqual({ expiry: 120, redirectOnExitUrl: '' });
  });

  it('reads a v2 registration into an API progress update', () => {
    expect(
      toProgress('reg-123', {
        completedDate: '2026-11-23T10:15:30.000Z',
        id: 'reg-123',
        instance: 1,
        registrationCompletion: 'COMPLETED',
        registrationSuccess: 'PASSED',
        score: { scaled: 85 },
        totalSecondsTracked: 342.4,
        updated: '2026-11-23T10:15:30.000Z',
      }),
    ).toMatchObject({
      completion: 'COMPLETED',
      instance: 1,
      score: 85,
      source: 'api',
      success: 'PASSED',
      totalSeconds: 342,
      updated: new Date('2026-11-23T10:15:30.000Z'),
    });
    expect(toProgress('r', {})).toMatchObject({ completion: 'UNKNOWN', instance: 0, score: null, success: 'UNKNOWN' });
  });
});
