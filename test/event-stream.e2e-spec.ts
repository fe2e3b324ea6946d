import { EventOutbox, EventStreamService, NewEvent } from '@app/events';
import { DataSource } from 'typeorm';

import { insertRegistration } from './support/registrations';
import { SseClient, SseRefused } from './support/sse-client';
import { RunningGateway, TEST_SECRETS, startGateway } from './support/stack';
import { createPostgresDatabase, testDatabaseKind } from './support/test-database';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

/**
 * The live event stream (GET /api/v1/events/stream) against the real app and database: who sees what, resuming with
 * Last-Event-ID, heartbeats, single-use tickets, the per-caller bound, freeing a disconnected stream, shutdown, and
 * (always on PostgreSQL) an event committed through one instance reaching a stream held on another.
 */
jest.setTimeout(60_000);

const HEARTBEAT_MS = 300;
const STREAM_ENV = {
  EVENT_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS),
  EVENT_STREAM_MAX_PER_CALLER: '3',
  EVENT_STREAM_RETRY_MS: '1500',
  // The safety poll stays slow, so events arriving at once prove the commit signal (and NOTIFY) woke the stream.
  EVENT_STREAM_SAFETY_POLL_MS: '600000',
};
const admin = bearer(TEST_API_KEY);
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;

type Emitted = Partial<NewEvent> & { learnerId?: string | null; contextId?: string | null };

/** Appends events through the app's own outbox, in a transaction, as producers do. */
async function emit(gateway: RunningGateway, ...events: Emitted[]): Promise<void> {
  const outbox = gateway.app.get(EventOutbox);
  await gateway.app.get(DataSource).transaction((manager) =>
    outbox.append(
      manager,
      events.map((event, i) => ({
        data: { n: i, context_id: event.contextId ?? null, learner_id: event.learnerId ?? null },
        occurredAt: new Date(),
        type: event.learnerId ? 'registration.progress_changed' : 'bazaar.material_added',
        ...event,
      })),
    ),
  );
}

const streamUrl = (gateway: RunningGateway, query = '') => `${gateway.url}/api/v1/events/stream${query}`;
const dataOf = (client: SseClient) => client.events.map((message) => JSON.parse(message.data!).data);
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('the stream was opened');
    },
    (error: unknown) => {
      if (error instanceof SseRefused) return error;
      throw error;
    },
  );

async function ticketFor(gateway: RunningGateway, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${gateway.url}/api/v1/events/stream-tickets`, { headers, method: 'POST' });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { ticket: string; expires_in: number };
  expect(body.expires_in).toBe(60);
  expect(body.ticket).toMatch(/^stk_[A-Za-z0-9_-]{43}$/);
  return body.ticket;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('event stream', () => {
  let gateway: RunningGateway;
  const clients: SseClient[] = [];
  const open = async (url: string, headers: Record<string, string> = {}) => {
    const client = await SseClient.open(url, headers);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    gateway = await startGateway({ overrides: STREAM_ENV });
  });
  // A closed client's place under EVENT_STREAM_MAX_PER_CALLER is freed once the gateway has seen it go and released
  // its lease (a statement on PostgreSQL): the next test's streams, often the same caller's, wait for that.
  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    const service = gateway.app.get(EventStreamService);
    await waitFor('closed streams to release their places', () => service.openCount === 0, 10_000);
  });
  afterAll(() => gateway?.close());

  it('streams events as SSE: id = seq, event = type, data = the stored payload; first the position and a retry hint', async () => {
    const client = await open(streamUrl(gateway), admin);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    await client.until('the opening message', (c) => c.messages.length >= 1);
    const [first] = client.messages;
    expect(first.retry).toBe(1500);
    const start = Number(first.id);
    await emit(gateway, { contextId: 'ctx-1', learnerId: 'learner-a' }, { contextId: 'ctx-1' });
    await client.eventsCount(2);
    const stored = await gateway.app
      .get(DataSource)
      .query('SELECT seq, type, payload FROM events WHERE seq > $1 ORDER BY seq'.replace('$1', String(start)));
    expect(client.events).toEqual(
      stored.map((row: { seq: number; type: string; payload: string }) => ({
        data: row.payload,
        event: row.type,
        id: String(row.seq),
      })),
    );
  });

  it('a student sees only their own registrations and their courses, a teacher only their courses', async () => {
    const student = await userToken('learner-a', 'student', { scope: { contexts: ['ctx-1'] } });
    const teacher = await userToken('teacher-t', 'teacher', { scope: { contexts: ['ctx-1'] } });
    const other = await userToken('learner-b', 'student', { scope: { contexts: ['ctx-2'] } });
    const [asStudent, asTeacher, asOther, asAdmin] = await Promise.all([
      open(streamUrl(gateway), bearer(student)),
      open(streamUrl(gateway), bearer(teacher)),
      open(streamUrl(gateway), bearer(other)),
      open(streamUrl(gateway), bearer(await userToken('admin-1', 'admin'))),
    ]);
    await Promise.all(
      [asStudent, asTeacher, asOther, asAdmin].map((c) => c.until('open', (x) => x.messages.length > 0)),
    );
    await emit(
      gateway,
      { contextId: 'ctx-1', learnerId: 'learner-b' },
      { contextId: 'ctx-1', learnerId: 'learner-a' },
      // A course event that names the teacher who made it (a material added): still the whole course's to see.
      { actorId: 'teacher-t', contextId: 'ctx-1' },
      { contextId: 'ctx-2' },
      { contextId: 'ctx-2', learnerId: 'learner-a' },
      { contextId: 'ctx-3', learnerId: 'learner-c' },
    );
    // The admin's stream gets every one: once it has the last, the others have had their chance too.
    await asAdmin.eventsCount(6);
    await emit(gateway, { contextId: 'ctx-1', data: { last: true } }, { contextId: 'ctx-2', data: { last: true } });
    await Promise.all([asStudent.eventsCount(4), asTeacher.eventsCount(4), asOther.eventsCount(3)]);
    await asAdmin.eventsCount(8);
    const seen = (client: SseClient) =>
      dataOf(client).map((d) => (d.last ? 'last' : `${d.learner_id ?? 'course'}@${d.context_id}`));
    expect(seen(asStudent)).toEqual(['learner-a@ctx-1', 'course@ctx-1', 'learner-a@ctx-2', 'last']);
    expect(seen(asTeacher)).toEqual(['learner-b@ctx-1', 'learner-a@ctx-1', 'course@ctx-1', 'last']);
    // learner-b's own registration in ctx-1 (not in their token) is still theirs; ctx-1's course events are not.
    expect(seen(asOther)).toEqual(['learner-b@ctx-1', 'course@ctx-2', 'last']);
  });

  it('resumes after Last-Event-ID with exactly the missed events in order, across pages, then live ones', async () => {
    const before = await open(streamUrl(gateway), admin);
    await before.until('open', (c) => c.messages.length > 0);
    const batch = Array.from({ length: 230 }, (_, i) => ({ contextId: 'ctx-r', data: { i } }));
    await emit(gateway, ...batch.slice(0, 115));
    await emit(gateway, ...batch.slice(115));
    await before.eventsCount(230);
    const ids = before.events.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    before.close();

    const resumed = await open(streamUrl(gateway), { ...admin, 'Last-Event-ID': String(ids[9]) });
    await resumed.eventsCount(220);
    expect(resumed.events.map((m) => Number(m.id))).toEqual(ids.slice(10));
    expect(dataOf(resumed).map((d) => d.i)).toEqual(batch.slice(10).map((e) => e.data.i));
    await emit(gateway, { contextId: 'ctx-r', data: { i: 'live' } });
    await resumed.eventsCount(221);
    expect(dataOf(resumed)[220]).toEqual({ i: 'live' });

    // The first connect's ?last_event_id= does the same; the header (a reconnect) wins over it.
    const byQuery = await open(streamUrl(gateway, `?last_event_id=${ids[227]}`), admin);
    await byQuery.eventsCount(3);
    expect(byQuery.events.map((m) => Number(m.id))).toEqual([ids[228], ids[229], expect.any(Number)]);
    const both = await open(streamUrl(gateway, `?last_event_id=${ids[0]}`), {
      ...admin,
      'Last-Event-ID': String(ids[228]),
    });
    await both.eventsCount(2);
    expect(Number(both.events[0].id)).toBe(ids[229]);
  });

  it('replays a large backlog to a client that stops reading for a while, page by page, completely and in order', async () => {
    const client = await open(streamUrl(gateway), admin);
    await client.until('open', (c) => c.messages.length > 0);
    const from = client.messages[0].id!;
    client.close();
    // About 15 MB of events: more than the socket buffers hold, so the replay must wait for the client.
    const filler = 'x'.repeat(5000);
    for (let batch = 0; batch < 6; batch++) {
      await emit(
        gateway,
        ...Array.from({ length: 500 }, (_, i) => ({ contextId: 'ctx-slow', data: { filler, i: batch * 500 + i } })),
      );
    }
    const slow = await open(streamUrl(gateway), { ...admin, 'Last-Event-ID': from });
    slow.pause();
    // Shorter than the four heartbeats after which a client that takes nothing is let go.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 2));
    expect(slow.events.length).toBeLessThan(3000);
    slow.resume();
    await slow.eventsCount(3000, 20_000);
    expect(dataOf(slow).map((d) => d.i)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(slow.ended).toBe(false);
  });

  it('lets go of a client that takes nothing for four heartbeats while events wait for it', async () => {
    const [{ first }] = await gateway.app
      .get(DataSource)
      .query("SELECT MIN(seq) AS first FROM events WHERE context_id = 'ctx-slow'");
    const service = gateway.app.get(EventStreamService);
    await waitFor('earlier streams to close', () => service.openCount === 0);
    const stuck = await open(streamUrl(gateway), { ...admin, 'Last-Event-ID': String(Number(first) - 1) });
    stuck.pause();
    await waitFor('the stalled stream to be closed', () => service.openCount === 0, HEARTBEAT_MS * 12);
    stuck.resume();
    await stuck.until('the end of the stream', (c) => c.ended, 5000);
    expect(stuck.events.length).toBeLessThan(3000);
  });

  it('refuses a malformed Last-Event-ID or last_event_id naming it', async () => {
    const header = await refusal(open(streamUrl(gateway), { ...admin, 'Last-Event-ID': 'abc' }));
    expect(header.status).toBe(400);
    expect(header.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { 'Last-Event-ID': expect.any(Array) } });
    const query = await refusal(open(streamUrl(gateway, '?last_event_id=-1'), admin));
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ details: { last_event_id: expect.any(Array) } });
  });

  it('sends a heartbeat comment line every EVENT_STREAM_HEARTBEAT_MS', async () => {
    // Timed from before the request: a loaded machine can only make the stream's start, and the heartbeats, later.
    const started = Date.now();
    const client = await open(streamUrl(gateway), admin);
    await client.until('two heartbeats', (c) => c.comments.filter((x) => x === 'heartbeat').length >= 2, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HEARTBEAT_MS * 2 - 50);
  });

  it('opens with a single-use ticket (for EventSource) that stands for the user who got it', async () => {
    const student = bearer(await userToken('learner-t', 'student', { scope: { contexts: ['ctx-t'] } }));
    const ticket = await ticketFor(gateway, student);
    const client = await open(streamUrl(gateway, `?ticket=${ticket}`));
    await client.until('open', (c) => c.messages.length > 0);
    await emit(gateway, { contextId: 'ctx-t', learnerId: 'learner-x' }, { contextId: 'ctx-t', learnerId: 'learner-t' });
    await client.eventsCount(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(dataOf(client)).toEqual([{ context_id: 'ctx-t', learner_id: 'learner-t', n: 1 }]);

    const reused = await refusal(open(streamUrl(gateway, `?ticket=${ticket}`)));
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ code: 'STREAM_TICKET_INVALID' });
    const forged = await refusal(open(streamUrl(gateway, `?ticket=stk_${'A'.repeat(43)}`)));
    expect(forged.body).toMatchObject({ code: 'STREAM_TICKET_INVALID' });
    const none = await refusal(open(streamUrl(gateway)));
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'AUTH_MISSING' });
    const noTicketForAnonymous = await fetch(`${gateway.url}/api/v1/events/stream-tickets`, { method: 'POST' });
    expect(noTicketForAnonymous.status).toBe(401);
  });

  it('ends a stream when the token that opened it expires, whether sent as Bearer or through a ticket', async () => {
    const shortLived = await userToken('learner-e', 'student', { expiresIn: '2s' });
    const started = Date.now();
    const byBearer = await open(streamUrl(gateway), bearer(shortLived));
    const ticket = await ticketFor(gateway, bearer(shortLived));
    const byTicket = await open(streamUrl(gateway, `?ticket=${ticket}`));
    const byKey = await open(streamUrl(gateway), admin);
    await Promise.all([byBearer, byTicket].map((c) => c.until('the end of the stream', (x) => x.ended, 5000)));
    expect(Date.now() - started).toBeGreaterThan(500);
    // An API key has no expiry: its stream stays.
    expect(byKey.ended).toBe(false);
  });

  it('refuses an expired ticket, and stores only its hash', async () => {
    const ticket = await ticketFor(gateway, admin);
    const rows = await gateway.app.get(DataSource).query('SELECT ticket_hash, caller FROM stream_tickets');
    expect(JSON.stringify(rows)).not.toContain(ticket.slice(4));
    await gateway.app.get(DataSource).query('UPDATE stream_tickets SET expires_at = 0');
    const expired = await refusal(open(streamUrl(gateway, `?ticket=${ticket}`)));
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ code: 'STREAM_TICKET_EXPIRED' });
  });

  it('bounds open streams per caller (429 STREAM_LIMIT) and frees a stream when its client disconnects', async () => {
    const service = gateway.app.get(EventStreamService);
    await waitFor('earlier streams to close', () => service.openCount === 0);
    const headers = bearer(await userToken('busy-user', 'student'));
    const held = await Promise.all([1, 2, 3].map(() => open(streamUrl(gateway), headers)));
    await waitFor('3 open streams', () => service.openCount === 3);
    const fourth = await refusal(open(streamUrl(gateway), headers));
    expect(fourth.status).toBe(429);
    // Counted in the database on PostgreSQL (for every instance together), in this one process on SQLite.
    const where = testDatabaseKind() === 'postgres' ? '' : ' on this instance';
    expect(fourth.body).toMatchObject({
      code: 'STREAM_LIMIT',
      message: `3 event streams are already open for this caller${where}; close one first`,
    });
    expect(fourth.headers['retry-after']).toBe('2');
    // Another caller is not held back by this one.
    const elsewhere = await open(streamUrl(gateway), bearer(await userToken('calm-user', 'student')));
    await waitFor('4 open streams', () => service.openCount === 4);

    held.forEach((client) => client.close());
    elsewhere.close();
    await waitFor('every stream freed', () => service.openCount === 0);
    const again = await open(streamUrl(gateway), headers);
    await again.until('open', (c) => c.messages.length > 0);
  });

  it('is documented in the OpenAPI document as text/event-stream, with its ticket route', async () => {
    const document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    const stream = document.paths['/api/v1/events/stream'].get;
    expect(Object.keys(stream.responses['200'].content ?? {})).toEqual(['text/event-stream']);
    expect(JSON.stringify(stream)).toContain('Last-Event-ID');
    expect(document.paths['/api/v1/events/stream-tickets'].post.responses['201']).toBeDefined();
  });

  it('a real postback reaches the learner through the stream', async () => {
    await insertRegistration(gateway, 'reg-stream-1', { contextId: 'course-ctx', learnerId: 'learner-9' });
    const learner = await open(streamUrl(gateway), bearer(await userToken('learner-9', 'student')));
    await learner.until('open', (c) => c.messages.length > 0);
    const updated = new Date().toISOString();
    const response = await fetch(`${gateway.url}/api/v1/webhooks/scorm-cloud`, {
      body: JSON.stringify({
        id: 'reg-stream-1',
        instance: 0,
        registrationCompletion: 'COMPLETED',
        registrationSuccess: 'PASSED',
        score: { scaled: 90 },
        totalSecondsTracked: 60,
        updated,
      }),
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      method: 'POST',
    });
    expect(response.status).toBeLessThan(300);
    await learner.until('registration.completed', (c) => c.events.some((m) => m.event === 'registration.completed'));
    const types = learner.events.map((m) => m.event);
    expect(types).toEqual(expect.arrayContaining(['registration.progress_changed', 'registration.completed']));
    expect(JSON.parse(learner.events[0].data!).data).toMatchObject({ registration_id: 'reg-stream-1' });
  });
});

describe('event stream on shutdown', () => {
  it('ends open streams so the gateway closes promptly', async () => {
    const gateway = await startGateway({ overrides: STREAM_ENV });
    const client = await SseClient.open(streamUrl(gateway), admin);
    await client.until('open', (c) => c.messages.length > 0);
    const started = Date.now();
    await gateway.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await client.until('the end of the stream', (c) => c.ended, 2000).catch(() => undefined);
    expect(client.ended).toBe(true);
  });
});

describe('event stream across instances (PostgreSQL)', () => {
  it('an event committed through instance A reaches a stream on instance B; a ticket works once on either', async () => {
    const database = await createPostgresDatabase();
    const a = await startGateway({ database, overrides: STREAM_ENV });
    const b = await startGateway({ database, overrides: STREAM_ENV });
    const clients: SseClient[] = [];
    try {
      const student = bearer(await userToken('learner-m', 'student', { scope: { contexts: ['ctx-m'] } }));
      const ticket = await ticketFor(a, student);
      const onB = await SseClient.open(streamUrl(b, `?ticket=${ticket}`));
      clients.push(onB);
      const reusedOnA = await refusal(SseClient.open(streamUrl(a, `?ticket=${ticket}`)));
      expect(reusedOnA.body).toMatchObject({ code: 'STREAM_TICKET_INVALID' });
      await onB.until('open', (c) => c.messages.length > 0);

      const started = Date.now();
      await emit(a, { contextId: 'ctx-m', learnerId: 'learner-m' }, { contextId: 'ctx-m', learnerId: 'learner-z' });
      await onB.eventsCount(1, 5000);
      // Far below the 10-minute safety poll: the NOTIFY woke instance B.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(dataOf(onB)).toEqual([{ context_id: 'ctx-m', learner_id: 'learner-m', n: 0 }]);

      // Resuming on A where B left off gets the same next events: one outbox for every instance.
      const resumed = await SseClient.open(streamUrl(a), { ...admin, 'Last-Event-ID': onB.events[0].id! });
      clients.push(resumed);
      await resumed.eventsCount(1);
      expect(dataOf(resumed)).toEqual([{ context_id: 'ctx-m', learner_id: 'learner-z', n: 1 }]);
    } finally {
      clients.forEach((client) => client.close());
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
