import { BazaarFastPath } from '@app/bazaar';
import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { bazaarUser, newSession, postForm } from './bazaar-e2e.helpers';
import { RunningStack, startStack } from './support/stack';
import { TEST_API_KEY, userToken } from './support/tokens';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

interface Case {
  name: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  method?: string;
}

/** One raw HTTP request, headers exactly as given (no client adds or fixes any). */
function send(port: number, c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = c.body ?? '';
    const req = request(
      {
        headers: { 'Content-Length': String(Buffer.byteLength(body)), ...c.headers },
        host: '127.0.0.1',
        method: c.method ?? 'POST',
        path: c.path,
        port,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: compared as text
          }
          resolve({ body: parsed, headers: res.headers, status: res.statusCode ?? 0 });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What may differ between two answers to the same request: the time, one-time URLs, their expiry, a fresh id. */
function comparable(answer: Answer): Answer {
  const { date: _date, ...headers } = answer.headers;
  const generatedId = UUID.test(String(headers['x-request-id']));
  if (generatedId) headers['x-request-id'] = 'generated';
  const body =
    answer.body && typeof answer.body === 'object' && !Array.isArray(answer.body)
      ? Object.fromEntries(
          Object.entries(answer.body).map(([key, value]) =>
            ['browse_url', 'expires_at', 'view_url'].includes(key) || (key === 'request_id' && generatedId)
              ? [key, typeof value]
              : [key, value],
          ),
        )
      : answer.body;
  return { body, headers, status: answer.status };
}

describe('Bazaar fast path: answers exactly as the Nest routes do', () => {
  let stack: RunningStack;
  let express: Server;
  let expressPort: number;
  const served = jest.spyOn(BazaarFastPath.prototype as unknown as { serve: () => Promise<void> }, 'serve');

  beforeAll(async () => {
    stack = await startStack();
    // The same application's Express app on a second port: the regular route, with the same database and state.
    express = createServer(stack.gateway.app.getHttpAdapter().getInstance());
    await new Promise<void>((resolve) => express.listen(0, '127.0.0.1', resolve));
    expressPort = (express.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => express?.close(resolve));
    await stack?.close();
  });

  const json = (token: string, extra: Record<string, string> = {}) => ({
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    'X-Request-Id': 'fast-path-equivalence-1',
    ...extra,
  });

  it('gives the same status, headers and body for every kind of request, and serves the plain ones itself', async () => {
    const teacher = await userToken('teacher-1', 'teacher');
    const student = await userToken('student-1', 'student');
    const scopedTeacher = await userToken('teacher-1', 'teacher', { scope: true });
    const session = await newSession(stack.gateway, stack.sandbox, teacher);
    const pick = session.forms[0];
    expect((await postForm(pick.action, { params: pick.params })).status).toBe(303);

    const returnUrl = `${stack.sandbox.url}/demo?course=course-21`;
    const user = JSON.stringify({ ...bazaarUser(), return_url: returnUrl });
    const view = JSON.stringify({ ...bazaarUser(), resource_uid: pick.uid });
    const deep = JSON.stringify({
      ...bazaarUser(),
      return_url: returnUrl,
      x: JSON.parse('['.repeat(70) + ']'.repeat(70)),
    });
    const browsePath = '/api/v1/bazaar/browse';
    const viewPath = '/api/v1/bazaar/view';
    const cases: Case[] = [
      { body: user, headers: json(TEST_API_KEY), name: 'browse with an API key', path: browsePath },
      { body: user, headers: json(teacher), name: 'browse as a teacher', path: browsePath },
      { body: user, headers: json(student), name: 'browse as a student', path: browsePath },
      { body: user, headers: json(scopedTeacher), name: 'browse outside the token contexts', path: browsePath },
      {
        body: user,
        headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'fast-path-equivalence-1' },
        name: 'no credentials',
        path: browsePath,
      },
      { body: user, headers: json('x', { Authorization: 'Basic abc' }), name: 'not bearer', path: browsePath },
      { body: user, headers: json('not-a-key'), name: 'unknown token', path: browsePath },
      { body: user, headers: json('a.b.c'), name: 'broken JWT', path: browsePath },
      { body: '{}', headers: json(TEST_API_KEY), name: 'empty object', path: browsePath },
      { body: '', headers: json(TEST_API_KEY), name: 'no body', path: browsePath },
      { body: '[]', headers: json(TEST_API_KEY), name: 'array body', path: browsePath },
      { body: '"text"', headers: json(TEST_API_KEY), name: 'string body', path: browsePath },
      { body: '{"a":', headers: json(TEST_API_KEY), name: 'malformed JSON', path: browsePath },
      { body: deep, headers: json(TEST_API_KEY), name: 'deep body', path: browsePath },
      {
        body: JSON.stringify({ ...bazaarUser(), pad: 'x'.repeat(1024 * 1024) }),
        headers: json(TEST_API_KEY),
        name: 'too large',
        path: browsePath,
      },
      {
        body: JSON.stringify({ ...bazaarUser(), extra: 1, return_url: returnUrl }),
        headers: json(TEST_API_KEY),
        name: 'unknown field',
        path: browsePath,
      },
      {
        body: JSON.stringify({ ...bazaarUser({ context_id: 5, email: 'nope' }), return_url: returnUrl }),
        headers: json(TEST_API_KEY),
        name: 'wrong types',
        path: browsePath,
      },
      {
        body: JSON.stringify({ ...bazaarUser(), return_url: 'https://evil.example.com/x' }),
        headers: json(TEST_API_KEY),
        name: 'return_url not allowed',
        path: browsePath,
      },
      {
        body: user,
        headers: json(TEST_API_KEY, { 'Content-Type': 'application/json; charset=utf-8' }),
        name: 'charset',
        path: browsePath,
      },
      {
        body: user,
        headers: json(TEST_API_KEY, { 'X-Request-Id': 'bad id!' }),
        name: 'unsafe request id',
        path: browsePath,
      },
      { body: view, headers: json(TEST_API_KEY), name: 'view with an API key', path: viewPath },
      { body: view, headers: json(student), name: 'view as a student', path: viewPath },
      {
        body: JSON.stringify({ ...bazaarUser(), resource_uid: 'missing-uid' }),
        headers: json(TEST_API_KEY),
        name: 'view of a material not in the course',
        path: viewPath,
      },
      { body: '{}', headers: json(TEST_API_KEY), name: 'view empty object', path: viewPath },
      // Left to Express, and still the same answer.
      {
        body: user,
        headers: json(TEST_API_KEY, { 'Content-Type': 'text/plain' }),
        name: 'text/plain',
        path: browsePath,
      },
      {
        body: user,
        headers: json(TEST_API_KEY, { Origin: 'https://lms.example.edu' }),
        name: 'origin',
        path: browsePath,
      },
      { body: user, headers: json(TEST_API_KEY), name: 'query', path: `${browsePath}?a=1` },
      { body: user, headers: json(TEST_API_KEY), method: 'PUT', name: 'wrong method', path: browsePath },
    ];
    const fastNames = new Set(cases.slice(0, 24).map((c) => c.name));

    for (const c of cases) {
      served.mockClear();
      const fast = await send(stack.gateway.port, c);
      expect({ case: c.name, fastPath: served.mock.calls.length }).toEqual({
        case: c.name,
        fastPath: fastNames.has(c.name) ? 1 : 0,
      });
      const regular = await send(expressPort, c);
      expect({ case: c.name, ...comparable(fast) }).toEqual({ case: c.name, ...comparable(regular) });
    }
  });
});
