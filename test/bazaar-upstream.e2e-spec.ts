import { createHmac } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';

import {
  base64Json,
  bazaarUser,
  browse,
  dataSourceOf,
  expectErrorShape,
  newSession,
  postForm,
} from './bazaar-e2e.helpers';
import { freePort } from './support/free-port';
import { RunningGateway, RunningSandbox, RunningStack, startGateway, startSandbox, startStack } from './support/stack';
import { TEST_API_KEY, bearer } from './support/tokens';

const UNLICENSED_UID = 'dc38da67-0000-4000-8000-00000000403a';
const returnUrl = 'https://lms.example.edu/course/21';

/**
 * A broken Bazaar: the request's context_id picks the failure. Not a mock of our client: the gateway's real
 * client talks to it over loopback HTTP.
 */
type Behaviour = (res: ServerResponse) => void;
const json = (status: number, body: unknown) => (res: ServerResponse) =>
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
const BEHAVIOURS: Record<string, Behaviour> = {
  'bad-request': json(400, { error: 'Invalid parameters: school_id unknown.', success: 0 }),
  'empty-200': (res) => res.writeHead(200).end(),
  forbidden: json(403, { error: 'No license for this material', success: 0 }),
  'html-500': (res) => res.writeHead(500, { 'Content-Type': 'text/html' }).end('<h1>Internal Server Error</h1>'),
  'http-url': json(200, { browse_url: 'http://evil.example/store', success: 1, view_url: 'http://evil.example/v' }),
  'javascript-url': json(200, { browse_url: 'javascript:alert(1)', success: 1 }),
  malformed: (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"success": 1, "browse_'),
  'missing-url': json(200, { success: 1 }),
  ok: json(200, {
    browse_url: 'https://bazaar.example/browse/1',
    success: 1,
    view_url: 'https://bazaar.example/view/1',
  }),
  'status-404': json(404, { error: 'Not found' }),
  'success-0': json(200, { error: 'Koulu ei ole rekisteröitynyt.', success: 0 }),
  'unavailable-503': json(503, { error: 'maintenance' }),
  unauthorized: json(401, { error: 'Invalid API key.', success: 0 }),
  // Never answers: the gateway's time-out must fire.
  hang: () => undefined,
};

describe('Bazaar upstream failures map to clear errors', () => {
  let broken: Server;
  let gateway: RunningGateway;
  const hits: Record<string, number> = {};
  const bodies: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    broken = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        bodies.push({ ...body, __path: req.url, __auth: req.headers.authentication });
        const mode = String(body.context_id);
        hits[mode] = (hits[mode] ?? 0) + 1;
        (BEHAVIOURS[mode] ?? BEHAVIOURS.ok)(res);
      });
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const port = (broken.address() as AddressInfo).port;
    // Long enough that a loaded machine's scheduling never passes for a Bazaar time-out.
    gateway = await startGateway({
      overrides: { BAZAAR_BASE_URL: `http://127.0.0.1:${port}/bazaar/api/v1`, BAZAAR_TIMEOUT_MS: '1500' },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    broken?.closeAllConnections();
    await new Promise((resolve) => broken?.close(resolve));
  });

  const browseIn = (mode: string) =>
    browse(gateway, TEST_API_KEY, { ...bazaarUser({ context_id: mode }), return_url: returnUrl });

  it('sends the signed request the Bazaar spec describes: Authentication header, callbacks with state, string ids', async () => {
    const res = await browseIn('ok');
    expect(res.status).toBe(200);
    expect(res.body.browse_url).toBe('https://bazaar.example/browse/1');
    const sent = bodies.at(-1)!;
    expect(sent.__path).toBe('/bazaar/api/v1/lms/browse');
    expect(sent.__auth).toMatch(/^BAZAAR test-lms:[0-9a-f]{64}$/);
    expect(sent.add_resource_callback_url).toMatch(
      new RegExp(`^${gateway.url}/api/v1/bazaar/callbacks/add\\?state=[\\w-]{43}$`),
    );
    expect(String(sent.cancel_url).replace('/cancel?', '/add?')).toBe(sent.add_resource_callback_url);
    expect(sent).not.toHaveProperty('return_url');
    expect(typeof sent.user_id).toBe('string');
  });

  it.each([
    ['unauthorized', 502, 'BAZAAR_AUTH_REJECTED', /Bazaar refused our signature.*BAZAAR_SECRET_KEY/],
    ['bad-request', 400, 'BAZAAR_BAD_REQUEST', /Bazaar refused .*Invalid parameters: school_id unknown\./],
    ['success-0', 400, 'BAZAAR_BAD_REQUEST', /Bazaar refused .*Koulu ei ole rekisteröitynyt\./],
    ['forbidden', 403, 'BAZAAR_ACCESS_DENIED', /Bazaar refused access: No license for this material/],
    ['html-500', 502, 'BAZAAR_UNAVAILABLE', /Bazaar failed .*HTTP 500/],
    ['unavailable-503', 502, 'BAZAAR_UNAVAILABLE', /Bazaar failed .*HTTP 503/],
    ['status-404', 502, 'BAZAAR_BAD_RESPONSE', /Bazaar answered .*HTTP 404/],
    ['malformed', 502, 'BAZAAR_BAD_RESPONSE', /Bazaar answered .*malformed JSON/],
    ['empty-200', 502, 'BAZAAR_BAD_RESPONSE', /Bazaar answered .*malformed JSON/],
    ['missing-url', 502, 'BAZAAR_BAD_RESPONSE', /Bazaar answered .*without a valid https browse_url/],
    ['http-url', 502, 'BAZAAR_BAD_RESPONSE', /Bazaar answered .*without a valid https browse_url/],
    ['javascript-url', 502, 'BAZAAR_BAD_RESPONSE', /without a valid https browse_url/],
    ['hang', 504, 'BAZAAR_TIMEOUT', /Bazaar did not answer lms\/browse within 1500 ms/],
  ])('Bazaar %s -> %i %s, asked once, no state left behind', async (mode, status, code, message) => {
    const res = await browseIn(mode);
    expect(res.status).toBe(status);
    expectErrorShape(res.body, status, code);
    expect(res.body.message).toMatch(message);
    expect(hits[mode]).toBe(1);
    const states = await dataSourceOf(gateway).query(
      `SELECT COUNT(*) AS n FROM bazaar_browse_states WHERE context_id = '${mode}'`,
    );
    expect(Number(states[0].n)).toBe(0);
  });

  it('maps view failures the same way and logs the refused view', async () => {
    await browseIn('ok');
    const addUrl = String(bodies.at(-1)!.add_resource_callback_url);
    const add = await postForm(addUrl, { params: base64Json({ name: 'Stored', uid: 'stored-1' }) });
    expect(add.status).toBe(303);
    expect(add.headers.get('location')).toBe(`${returnUrl}?bazaar_status=added&count=1`);
    await dataSourceOf(gateway).query(`UPDATE bazaar_materials SET context_id = 'hang' WHERE uid = 'stored-1'`);
    const res = await request(gateway.url)
      .post('/api/v1/bazaar/view')
      .set(bearer(TEST_API_KEY))
      .send({ ...bazaarUser({ context_id: 'hang' }), resource_uid: 'stored-1' });
    expectErrorShape(res.body, 504, 'BAZAAR_TIMEOUT');
    const views = await dataSourceOf(gateway).query(`SELECT outcome FROM bazaar_material_views WHERE uid = 'stored-1'`);
    expect(views).toEqual([{ outcome: 'BAZAAR_TIMEOUT' }]);
  });

  it('answers 502 BAZAAR_UNAVAILABLE when nothing listens (after one retry)', async () => {
    const closedPort = await freePort();
    const lonely = await startGateway({
      overrides: { BAZAAR_BASE_URL: `http://127.0.0.1:${closedPort}/bazaar/api/v1` },
    });
    try {
      const res = await browse(lonely, TEST_API_KEY, { ...bazaarUser(), return_url: returnUrl });
      expectErrorShape(res.body, 502, 'BAZAAR_UNAVAILABLE');
      expect(res.body.message).toMatch(/Bazaar could not be reached .*ECONNREFUSED/);
    } finally {
      await lonely.close();
    }
  });
});

describe('Bazaar sandbox refusals reach the caller', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it("answers Bazaar's licensing refusal as 403 with Bazaar's text", async () => {
    const session = await newSession(stack.gateway, stack.sandbox, TEST_API_KEY, bazaarUser({ context_id: 'lic' }));
    const form = session.forms.find((f) => f.uid === UNLICENSED_UID)!;
    expect((await postForm(form.action, { params: form.params })).status).toBe(303);
    const res = await request(stack.gateway.url)
      .post('/api/v1/bazaar/view')
      .set(bearer(TEST_API_KEY))
      .send({ ...bazaarUser({ context_id: 'lic' }), resource_uid: UNLICENSED_UID });
    expectErrorShape(res.body, 403, 'BAZAAR_ACCESS_DENIED');
    expect(res.body.message).toBe('Bazaar refused access: No license for this material');
  });

  it("answers Bazaar's 400 as 400 with Bazaar's text", async () => {
    const session = await newSession(stack.gateway, stack.sandbox, TEST_API_KEY, bazaarUser({ context_id: 'b400' }));
    await postForm(session.addUrl, { params: JSON.stringify({ name: 'Not sold by Bazaar', uid: 'not-in-bazaar-1' }) });
    const res = await request(stack.gateway.url)
      .post('/api/v1/bazaar/view')
      .set(bearer(TEST_API_KEY))
      .send({ ...bazaarUser({ context_id: 'b400' }), resource_uid: 'not-in-bazaar-1' });
    expectErrorShape(res.body, 400, 'BAZAAR_BAD_REQUEST');
    expect(res.body.message).toContain('Invalid parameters: unknown resource_uid not-in-bazaar-1.');
  });

  it('answers 502 BAZAAR_AUTH_REJECTED when the gateway holds the wrong secret', async () => {
    const wrong = await startGateway({
      overrides: { BAZAAR_SECRET_KEY: 'not-the-secret-bazaar-knows-0000' },
      port: undefined,
      sandboxPort: stack.sandbox.port,
    });
    try {
      const res = await browse(wrong, TEST_API_KEY, { ...bazaarUser(), return_url: returnUrl });
      expectErrorShape(res.body, 502, 'BAZAAR_AUTH_REJECTED');
      expect(res.body.message).toContain('Bazaar refused our signature');
    } finally {
      await wrong.close();
    }
  });

  it("the sandbox refuses a signature over other bytes and answers the Bazaar spec's error body", async () => {
    const body = JSON.stringify(bazaarUser());
    const res = await fetch(`${stack.sandbox.url}/bazaar/api/v1/lms/browse`, {
      body,
      headers: { Authentication: `BAZAAR test-lms:${'0'.repeat(64)}`, 'Content-Type': 'application/json' },
      method: 'POST',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Invalid API key.', success: 0 });
  });
});

describe('sandbox Bazaar speaks the Bazaar spec', () => {
  let sandbox: RunningSandbox;
  const secret = 'test-bazaar-secret-0123456789abcdef';

  beforeAll(async () => {
    sandbox = await startSandbox({ SANDBOX_BAZAAR_URL_TTL_MS: '300' });
  });
  afterAll(() => sandbox?.close());

  const post = (path: string, payload: unknown) => {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const hash = createHmac('sha256', secret).update(body).digest('hex');
    return fetch(`${sandbox.url}/bazaar/api/v1/lms/${path}`, {
      body,
      headers: { Authentication: `BAZAAR test-lms:${hash}`, 'Content-Type': 'application/json' },
      method: 'POST',
    });
  };

  it('answers 400 {success: 0, error} for arguments that break the table', async () => {
    const res = await post('browse', bazaarUser({ school_id: 1235 }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Invalid parameters: school_id must be 5-10 characters.', success: 0 });
    const role = await post('view', { ...bazaarUser({ role: 'rector' }), resource_uid: UNLICENSED_UID });
    expect(role.status).toBe(400);
  });

  it('verifies the HMAC over the UTF-8 bytes of a Finnish body and expires unused URLs', async () => {
    const res = await post('browse', bazaarUser({ first_name: 'Äijö', last_name: 'Öörni' }));
    expect(res.status).toBe(200);
    const { browse_url: browseUrl, success } = (await res.json()) as { browse_url: string; success: number };
    expect(success).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await fetch(browseUrl)).status).toBe(410);
  });
});
