import { RetentionJob } from '@app/persistence';
import { PostbackTokenService } from '@app/scorm-cloud';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';

import { bazaarUser, materialsOf, newSession, postForm } from './bazaar-e2e.helpers';
import { insertRegistration } from './support/registrations';
import { RunningStack, TEST_SECRETS, startStack } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';
import { WebhookReceiver } from './support/webhook-receiver';

const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const ADMIN = bearer(TEST_API_KEY);
const DECLARED_SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

/** A v2 postback as SCORM Cloud sends it: `completion` moves the registration on. */
function postback(id: string, updated: string, completion: 'INCOMPLETE' | 'COMPLETED', score: number) {
  return {
    course: { id: 'course-1', title: 'Safety 101', version: 0 },
    id,
    instance: 0,
    learner: { firstName: 'Aino', id: 'learner-9', lastName: 'Virtanen' },
    registrationCompletion: completion,
    registrationCompletionAmount: completion === 'COMPLETED' ? 1 : 0.5,
    registrationSuccess: completion === 'COMPLETED' ? 'PASSED' : 'UNKNOWN',
    score: { scaled: score },
    totalSecondsTracked: score,
    updated,
  };
}

describe('signed event delivery to the LMS back end (Standard Webhooks)', () => {
  let stack: RunningStack;
  let declared: WebhookReceiver;
  let tokens: PostbackTokenService;
  const gw = () => stack.gateway;
  const api = () => request(gw().url);

  beforeAll(async () => {
    declared = await new WebhookReceiver(DECLARED_SECRET).start();
    stack = await startStack({
      gatewayOverrides: {
        EVENT_DELIVERY_POLL_MS: '100',
        EVENT_DELIVERY_RETRY_SCHEDULE: '0,200ms,200ms,200ms,200ms,200ms,200ms,200ms',
        EVENT_DELIVERY_TIMEOUT_MS: '1500',
        EVENT_SUBSCRIPTIONS: JSON.stringify([
          { event_types: ['*'], name: 'demo-lms', secret: DECLARED_SECRET, url: declared.url },
        ]),
        WEBHOOK_RECONCILE_INTERVAL_MS: '0',
      },
    });
    tokens = gw().app.get(PostbackTokenService);
  });
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    await stack?.close();
    await declared?.close();
    for (const r of receivers) await r.close();
  });

  const subscribe = async (receiverUrl: string, extra: Record<string, unknown> = {}) => {
    const res = await api()
      .post('/api/v1/event-subscriptions')
      .set(ADMIN)
      .send({ url: receiverUrl, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const receiver = async (): Promise<WebhookReceiver> => {
    const r = await new WebhookReceiver('whsec_placeholder0000000000000000000000000000').start();
    receivers.push(r);
    return r;
  };
  /** A receiver with its own subscription (created first, so it has the secret to verify with). */
  const subscribed = async (extra: Record<string, unknown> = {}) => {
    const r = await receiver();
    const sub = await subscribe(r.url, extra);
    r.secret = sub.secret;
    return { r, sub };
  };
  const sendPostback = async (id: string, updated: string, completion: 'INCOMPLETE' | 'COMPLETED', score: number) => {
    const token = await tokens.sign(id);
    const res = await api()
      .post(`/api/v1/webhooks/scorm-cloud?token=${token}`)
      .set('Authorization', BASIC)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(postback(id, updated, completion, score)));
    expect(res.status).toBe(200);
  };
  const minute = (n: number) => new Date(Date.UTC(2026, 10, 27, 8, n)).toISOString();

  describe('the admin resource', () => {
    it('creates a subscription showing its whsec_ secret once, lists and reads it without, for admins only', async () => {
      const created = await api()
        .post('/api/v1/event-subscriptions')
        .set(ADMIN)
        .send({ description: 'Gradebook', event_types: ['registration.completed'], url: 'http://127.0.0.1:9/hook' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        description: 'Gradebook',
        event_types: ['registration.completed'],
        source: 'api',
        status: 'active',
        url: 'http://127.0.0.1:9/hook',
      });
      expect(Buffer.from(created.body.secret.replace(/^whsec_/, ''), 'base64')).toHaveLength(32);
      const got = await api().get(`/api/v1/event-subscriptions/${created.body.id}`).set(ADMIN).expect(200);
      expect(got.body.secret).toBeUndefined();
      const list = await api().get('/api/v1/event-subscriptions?limit=200').set(ADMIN).expect(200);
      expect(list.body.items.map((s: { id: string }) => s.id)).toContain(created.body.id);
      expect(JSON.stringify(list.body)).not.toContain(created.body.secret);

      const teacher = bearer(await userToken('teacher-1', 'teacher'));
      await api().get('/api/v1/event-subscriptions').set(teacher).expect(403);
      await api().post('/api/v1/event-subscriptions').set(teacher).send({ url: 'http://127.0.0.1:9/x' }).expect(403);
      const admin = bearer(await userToken('admin-1', 'admin'));
      await api().get(`/api/v1/event-subscriptions/${created.body.id}`).set(admin).expect(200);

      const patched = await api()
        .patch(`/api/v1/event-subscriptions/${created.body.id}`)
        .set(ADMIN)
        .send({ event_types: ['*'], url: 'http://127.0.0.1:9/other' })
        .expect(200);
      expect(patched.body).toMatchObject({ event_types: ['*'], url: 'http://127.0.0.1:9/other' });
      const disabled = await api()
        .post(`/api/v1/event-subscriptions/${created.body.id}/disable`)
        .set(ADMIN)
        .expect(200);
      expect(disabled.body).toMatchObject({ disabled_reason: 'disabled through the API', status: 'disabled' });
      await api().post(`/api/v1/event-subscriptions/${created.body.id}/enable`).set(ADMIN).expect(200);
      await api().delete(`/api/v1/event-subscriptions/${created.body.id}`).set(ADMIN).expect(204);
      await api().get(`/api/v1/event-subscriptions/${created.body.id}`).set(ADMIN).expect(404);
    });

    it('refuses a bad url, an unknown event type or field with a 400 naming it, storing nothing', async () => {
      const before = (await api().get('/api/v1/event-subscriptions?limit=200').set(ADMIN)).body.items.length;
      const bad = async (body: Record<string, unknown>, field: string, rule: RegExp) => {
        const res = await api().post('/api/v1/event-subscriptions').set(ADMIN).send(body);
        expect(res.status).toBe(400);
        expect(res.body.details[field].join(' ')).toMatch(rule);
      };
      await bad({ url: 'ftp://127.0.0.1/x' }, 'url', /http\(s\)/);
      await bad({ url: 'not a url' }, 'url', /absolute/);
      await bad({ url: 'http://user:pw@127.0.0.1/x' }, 'url', /credentials/);
      await bad({ event_types: ['registration.nope'], url: 'http://127.0.0.1:9/x' }, 'event_types', /event_types/);
      await bad({ secret: 'whsec_x', url: 'http://127.0.0.1:9/x' }, 'secret', /not an allowed field/);
      const after = (await api().get('/api/v1/event-subscriptions?limit=200').set(ADMIN)).body.items.length;
      expect(after).toBe(before);
    });

    it('shows the config-declared subscription read-only', async () => {
      const list = await api().get('/api/v1/event-subscriptions?limit=200').set(ADMIN).expect(200);
      const demo = list.body.items.find((s: { name: string }) => s.name === 'demo-lms');
      expect(demo).toMatchObject({ event_types: ['*'], source: 'config', status: 'active', url: declared.url });
      const path = `/api/v1/event-subscriptions/${demo.id}`;
      const patch = await api().patch(path).set(ADMIN).send({ description: 'x' });
      expect(patch.status).toBe(409);
      expect(patch.body.code).toBe('EVENT_SUBSCRIPTION_READ_ONLY');
      await api().delete(path).set(ADMIN).expect(409);
      await api().post(`${path}/rotate-secret`).set(ADMIN).send({}).expect(409);
    });
  });

  describe('delivery', () => {
    it('delivers progress_changed and completed from real postbacks, signed, to the API and config subscriptions', async () => {
      const { r } = await subscribed();
      const id = await insertRegistration(gw(), 'reg-evt-1');
      await sendPostback(id, minute(1), 'INCOMPLETE', 40);
      await sendPostback(id, minute(2), 'COMPLETED', 90);
      await r.waitFor(() => r.events('registration.completed').length === 1);
      const types = r.events().map((d) => d.payload!.type);
      expect(types).toEqual([
        'registration.progress_changed',
        'registration.progress_changed',
        'registration.completed',
      ]);
      const completed = r.events('registration.completed')[0];
      expect(completed.payload!.data).toMatchObject({ registration_id: id });
      expect(completed.id).toMatch(/^evt_[0-9a-f-]{36}$/);
      expect(completed.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(Math.abs(Number(completed.timestamp) - Date.now() / 1000)).toBeLessThan(30);
      expect(r.received.every((d) => d.verified)).toBe(true);
      // The config-declared endpoint got the same events under the same webhook-ids.
      await declared.waitFor(() => declared.unique.has(completed.id));
      r.close();
    });

    it('delivers bazaar.material_added and bazaar.material_removed from a real Bazaar round trip', async () => {
      const { r } = await subscribed({ event_types: ['bazaar.material_added', 'bazaar.material_removed'] });
      const teacher = await userToken('teacher-1', 'teacher');
      const session = await newSession(gw(), stack.sandbox, teacher, bazaarUser({ context_id: 'course-evt' }));
      const pick = session.forms[0];
      expect((await postForm(pick.action, { params: pick.params })).status).toBe(303);
      const [material] = await materialsOf(gw(), teacher, 'course-evt');
      await api()
        .delete(`/api/v1/contexts/course-evt/materials/${encodeURIComponent(String(material.uid))}`)
        .set(bearer(teacher))
        .expect(204);
      await r.waitFor(() => r.events('bazaar.material_removed').length === 1);
      expect(r.events().map((d) => d.payload!.type)).toEqual(['bazaar.material_added', 'bazaar.material_removed']);
      expect(r.events('bazaar.material_added')[0].payload!.data).toMatchObject({ context_id: 'course-evt' });
      await r.close();
    });

    it('holds every event while the receiver is down, then delivers each once after dedup, in order per registration', async () => {
      const { r, sub } = await subscribed({ event_types: ['registration.progress_changed'] });
      const port = r.port;
      await r.close();
      const ids = await Promise.all(['a', 'b', 'c'].map((n) => insertRegistration(gw(), `reg-down-${n}`)));
      for (let step = 1; step <= 4; step++) {
        await Promise.all(ids.map((id) => sendPostback(id, minute(10 + step), 'INCOMPLETE', step * 10)));
      }
      // Attempts fail while nobody listens (connection refused), and are logged.
      await waitUntil(async () => {
        const log = await api().get(`/api/v1/event-subscriptions/${sub.id}/attempts`).set(ADMIN);
        return log.body.items.length >= 3;
      });
      const log = await api().get(`/api/v1/event-subscriptions/${sub.id}/attempts`).set(ADMIN).expect(200);
      expect(log.body.items[0]).toMatchObject({ result: 'error', status_code: null });
      expect(log.body.items[0].error).toMatch(/ECONNREFUSED/);

      const back = new WebhookReceiver(sub.secret);
      receivers.push(back);
      // The first minute back it answers 503 now and then: those are retried too. A registration's backlog goes out
      // as a chain, each event after the previous one's 2xx; a 503 stops the chain until its retry.
      let n = 0;
      const answered: { registration: string; score: number; ok: boolean }[] = [];
      back.answer = (delivery) => {
        const ok = ++n % 3 !== 0;
        const { current, registration_id } = delivery.payload!.data;
        answered.push({ ok, registration: registration_id, score: current.score });
        return ok ? { status: 200 } : { headers: { 'retry-after': '0' }, status: 503 };
      };
      await back.start(port);
      await back.waitFor(() => back.unique.size === 12, 20_000);
      for (const id of ids) {
        const scores = back.events().filter((d) => d.payload!.data.registration_id === id);
        expect(scores.map((d) => d.payload!.data.current.score)).toEqual([10, 20, 30, 40]);
        // Never ahead: each event arrives only after every earlier one of its registration was answered 2xx.
        let acknowledged = 0;
        for (const answer of answered.filter((a) => a.registration === id)) {
          expect(answer.score).toBeLessThanOrEqual(acknowledged + 10);
          if (answer.ok) acknowledged = Math.max(acknowledged, answer.score);
        }
      }
      // At least once: duplicates are possible, but every webhook-id kept its identity across retries.
      expect(new Set(back.received.map((d) => d.id)).size).toBe(12);
      await back.close();
    });

    it('lets a hanging endpoint hold only its own slots: another endpoint and postback ingest go on', async () => {
      const hanging = await subscribed({ event_types: ['registration.progress_changed'] });
      hanging.r.answer = () => 'hang';
      const healthy = await subscribed({ event_types: ['registration.progress_changed'] });
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => insertRegistration(gw(), `reg-hang-${i}`)));
      await Promise.all(ids.map((id) => sendPostback(id, minute(30), 'INCOMPLETE', 10)));
      await healthy.r.waitFor(() => healthy.r.unique.size === 20, 5_000);
      // Meanwhile the hanging endpoint has answered nothing at all.
      expect(hanging.r.unique.size).toBe(0);
      expect(hanging.r.received.length).toBeGreaterThan(0);
      await hanging.r.close();
      await healthy.r.close();
      await api().post(`/api/v1/event-subscriptions/${hanging.sub.id}/disable`).set(ADMIN).expect(200);
    });

    it('disables an endpoint that answers 410 Gone, and says so', async () => {
      const { r, sub } = await subscribed();
      r.answer = () => ({ status: 410 });
      const id = await insertRegistration(gw(), 'reg-gone');
      await sendPostback(id, minute(40), 'INCOMPLETE', 10);
      await waitUntil(async () => {
        const res = await api().get(`/api/v1/event-subscriptions/${sub.id}`).set(ADMIN);
        return res.body.status === 'disabled';
      });
      const res = await api().get(`/api/v1/event-subscriptions/${sub.id}`).set(ADMIN).expect(200);
      expect(res.body.disabled_reason).toMatch(/410/);
      expect(Date.parse(res.body.disabled_at)).toBeGreaterThan(Date.now() - 60_000);
      // Re-enabled, what waited is delivered: this registration's event (an event an earlier test committed after
      // the subscription was created may arrive beside it, so the count alone does not tell).
      r.answer = () => ({ status: 200 });
      await api().post(`/api/v1/event-subscriptions/${sub.id}/enable`).set(ADMIN).expect(200);
      await r.waitFor(() =>
        r.events('registration.progress_changed').some((d) => d.payload!.data.registration_id === id),
      );
      await r.close();
    });

    it('keeps an endpoint re-enabled while a 410 answers an attempt made before the re-enabling', async () => {
      const { r, sub } = await subscribed({ event_types: ['registration.progress_changed'] });
      // Two attempts in flight at once: the first 410 disables the endpoint; the second 410 (within the 1.5 s
      // time-out) arrives only after an admin has enabled it again, and must not disable it a second time.
      // (Another registration's event, committed by an earlier test after the subscription was made, is taken.)
      let enabled = false;
      let gone = 0;
      const ids = await Promise.all(['a', 'b'].map((n) => insertRegistration(gw(), `reg-gone-race-${n}`)));
      r.answer = (d) =>
        enabled || !ids.includes(d.payload!.data.registration_id)
          ? { status: 200 }
          : { delayMs: ++gone === 1 ? 200 : 1_000, status: 410 };
      await Promise.all(ids.map((id) => sendPostback(id, minute(43), 'INCOMPLETE', 10)));
      await waitUntil(async () => {
        const res = await api().get(`/api/v1/event-subscriptions/${sub.id}`).set(ADMIN);
        return res.body.status === 'disabled';
      });
      expect(gone).toBe(2);
      enabled = true;
      await api().post(`/api/v1/event-subscriptions/${sub.id}/enable`).set(ADMIN).expect(200);
      // The late 410 is recorded as that attempt's answer; the endpoint stays active and both events arrive.
      await r.waitFor(() => ids.every((id) => r.events().some((d) => d.payload!.data.registration_id === id)), 10_000);
      const res = await api().get(`/api/v1/event-subscriptions/${sub.id}`).set(ADMIN).expect(200);
      expect(res.body).toMatchObject({ disabled_reason: null, status: 'active' });
      const log = await api().get(`/api/v1/event-subscriptions/${sub.id}/attempts`).set(ADMIN).expect(200);
      expect(log.body.items.filter((a: { status_code: number }) => a.status_code === 410)).toHaveLength(2);
      await api().post(`/api/v1/event-subscriptions/${sub.id}/disable`).set(ADMIN).expect(200);
      await r.close();
    });

    it('disables an endpoint whose deliveries have failed for 5 days, recording why and when', async () => {
      const { r, sub } = await subscribed();
      r.answer = () => ({ status: 500 });
      const db = gw().app.get(DataSource);
      const mark = db.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
      // The streak began 5 days and a minute ago (epoch ms on the database's clock, as the worker writes it).
      await db.query(`UPDATE event_subscriptions SET failing_since = ${mark[0]} WHERE id = ${mark[1]}`, [
        Date.now() - 5 * 86_400_000 - 60_000,
        sub.id,
      ]);
      const id = await insertRegistration(gw(), 'reg-failing');
      await sendPostback(id, minute(42), 'INCOMPLETE', 10);
      await waitUntil(async () => {
        const res = await api().get(`/api/v1/event-subscriptions/${sub.id}`).set(ADMIN);
        return res.body.status === 'disabled';
      });
      const res = await api().get(`/api/v1/event-subscriptions/${sub.id}`).set(ADMIN).expect(200);
      expect(res.body.disabled_reason).toBe('every delivery failed for 5 days');
      expect(Date.parse(res.body.failing_since)).toBeLessThan(Date.now() - 5 * 86_400_000);
      await r.close();
    });

    it('counts a 3xx as a failure and never follows it', async () => {
      const { r, sub } = await subscribed();
      r.answer = (d) =>
        d.path === '/lms/webhooks'
          ? { headers: { location: `http://127.0.0.1:${r.port}/elsewhere` }, status: 307 }
          : { status: 200 };
      const id = await insertRegistration(gw(), 'reg-redirect');
      await sendPostback(id, minute(41), 'INCOMPLETE', 10);
      await r.waitFor(() => r.received.length >= 3);
      expect(r.received.every((d) => d.path === '/lms/webhooks')).toBe(true);
      const log = await api().get(`/api/v1/event-subscriptions/${sub.id}/attempts`).set(ADMIN).expect(200);
      expect(log.body.items[0]).toMatchObject({ result: 'failure', status_code: 307 });
      await api().post(`/api/v1/event-subscriptions/${sub.id}/disable`).set(ADMIN).expect(200);
      await r.close();
    });
  });

  describe('the receiver side', () => {
    it('rejects a forged, tampered or stale delivery with the standard verifier, and deduplicates a replayed one', async () => {
      const { r } = await subscribed();
      const id = await insertRegistration(gw(), 'reg-verify');
      await sendPostback(id, minute(50), 'INCOMPLETE', 10);
      await r.waitFor(() => r.unique.size === 1);
      const real = [...r.unique.values()][0];
      const headers = {
        'webhook-id': real.id,
        'webhook-signature': real.signature,
        'webhook-timestamp': real.timestamp,
      };
      const verifier = new Webhook(r.secret);
      expect(verifier.verify(real.body, headers)).toEqual(JSON.parse(real.body));
      // Tampered body, another id, a shifted timestamp: the signature no longer matches.
      expect(() => verifier.verify(real.body.replace('"score":10', '"score":100'), headers)).toThrow(/signature/);
      expect(() => verifier.verify(real.body, { ...headers, 'webhook-id': 'evt_forged' })).toThrow(/signature/);
      expect(() =>
        verifier.verify(real.body, { ...headers, 'webhook-timestamp': String(Number(real.timestamp) - 1) }),
      ).toThrow(/signature/);
      // Forged: signed with a secret that is not the subscription's.
      const forger = new Webhook(`whsec_${Buffer.alloc(32, 3).toString('base64')}`);
      const now = new Date();
      const forged = {
        ...headers,
        'webhook-signature': forger.sign(real.id, now, real.body),
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      };
      expect(() => verifier.verify(real.body, forged)).toThrow(/signature/);
      // Stale: correctly signed, but more than 5 minutes old.
      const old = new Date(Date.now() - 6 * 60_000);
      const stale = {
        ...headers,
        'webhook-signature': new Webhook(r.secret).sign(real.id, old, real.body),
        'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      };
      expect(() => verifier.verify(real.body, stale)).toThrow(/too old/);
      // Replayed verbatim at the receiver: it verifies (within 5 minutes) and is dropped by webhook-id.
      const replay = await fetch(r.url, { body: real.body, headers: { ...headers }, method: 'POST' });
      expect(replay.status).toBe(204);
      expect(r.unique.size).toBe(1);
      // Sent to the receiver over HTTP, the forged one is refused.
      const refused = await fetch(r.url, { body: real.body, headers: forged, method: 'POST' });
      expect(refused.status).toBe(401);
      await r.close();
    });

    it('signs with both secrets during a rotation overlap, then with the new one only', async () => {
      const { r, sub } = await subscribed();
      const oldSecret = sub.secret;
      const rotated = await api()
        .post(`/api/v1/event-subscriptions/${sub.id}/rotate-secret`)
        .set(ADMIN)
        .send({ overlap_seconds: 3600 })
        .expect(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(oldSecret);
      expect(Date.parse(rotated.body.previous_secret_expires_at)).toBeGreaterThan(Date.now() + 3_500_000);
      const id = await insertRegistration(gw(), 'reg-rotate');
      await sendPostback(id, minute(51), 'INCOMPLETE', 10);
      await r.waitFor(() => r.unique.size === 1);
      const delivery = [...r.unique.values()][0];
      expect(delivery.signature.split(' ')).toHaveLength(2);
      const headers = {
        'webhook-id': delivery.id,
        'webhook-signature': delivery.signature,
        'webhook-timestamp': delivery.timestamp,
      };
      expect(() => new Webhook(rotated.body.secret).verify(delivery.body, headers)).not.toThrow();
      expect(() => new Webhook(oldSecret).verify(delivery.body, headers)).not.toThrow();

      await api()
        .post(`/api/v1/event-subscriptions/${sub.id}/rotate-secret`)
        .set(ADMIN)
        .send({ overlap_seconds: 0 })
        .expect(200)
        .then((res) => (r.secret = res.body.secret));
      await sendPostback(id, minute(52), 'INCOMPLETE', 20);
      await r.waitFor(() => r.unique.size === 2);
      expect([...r.unique.values()][1].signature.split(' ')).toHaveLength(1);
      await r.close();
    });
  });

  describe('the delivery log, redelivery and replay', () => {
    it('pages the log, redelivers one delivery with the same webhook-id, and replays every event since a time', async () => {
      const since = new Date().toISOString();
      const { r, sub } = await subscribed({ event_types: ['registration.progress_changed'] });
      const id = await insertRegistration(gw(), 'reg-log');
      for (let i = 1; i <= 5; i++) await sendPostback(id, minute(i), 'INCOMPLETE', i * 10);
      await r.waitFor(() => r.unique.size === 5);
      // The receiver answered; the gateway records the answers right after.
      await waitUntil(async () => {
        const res = await api().get(`/api/v1/event-subscriptions/${sub.id}/deliveries?status=succeeded`).set(ADMIN);
        return res.body.items.length === 5;
      });

      const first = await api().get(`/api/v1/event-subscriptions/${sub.id}/deliveries?limit=2`).set(ADMIN).expect(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.items[0]).toMatchObject({ attempts: 1, last_status_code: 204, status: 'succeeded' });
      const second = await api()
        .get(`/api/v1/event-subscriptions/${sub.id}/deliveries?limit=2&cursor=${first.body.next_cursor}`)
        .set(ADMIN)
        .expect(200);
      const third = await api()
        .get(`/api/v1/event-subscriptions/${sub.id}/deliveries?limit=2&cursor=${second.body.next_cursor}`)
        .set(ADMIN)
        .expect(200);
      expect(third.body.next_cursor).toBeNull();
      const all = [...first.body.items, ...second.body.items, ...third.body.items];
      expect(new Set(all.map((d: { id: number }) => d.id)).size).toBe(5);
      const badCursor = await api().get(`/api/v1/event-subscriptions/${sub.id}/deliveries?cursor=zzz`).set(ADMIN);
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.details.cursor).toBeDefined();

      const attempts = await api().get(`/api/v1/event-subscriptions/${sub.id}/attempts`).set(ADMIN).expect(200);
      expect(attempts.body.items[0]).toMatchObject({ attempt: 1, result: 'success', status_code: 204 });
      expect(typeof attempts.body.items[0].duration_ms).toBe('number');

      const target = all[all.length - 1];
      await api()
        .post(`/api/v1/event-subscriptions/${sub.id}/deliveries/${target.id}/redeliver`)
        .set(ADMIN)
        .expect(202);
      await r.waitFor(() => r.received.filter((d) => d.id === target.event_id).length === 2);

      await waitUntil(async () => {
        const res = await api().get(`/api/v1/event-subscriptions/${sub.id}/deliveries?status=pending`).set(ADMIN);
        return res.body.items.length === 0;
      });
      const replay = await api()
        .post(`/api/v1/event-subscriptions/${sub.id}/replay`)
        .set(ADMIN)
        .send({ since })
        .expect(202);
      expect(replay.body.queued).toBe(5);
      await r.waitFor(() => r.received.length >= 6 + replay.body.queued);
      await api().post(`/api/v1/event-subscriptions/${sub.id}/deliveries/999999999/redeliver`).set(ADMIN).expect(404);
      await r.close();
    });

    it('prunes delivery attempts older than RETENTION_DELIVERY_DAYS (by attempted_at) through the retention job', async () => {
      const db = gw().app.get(DataSource);
      const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM event_delivery_attempts');
      expect(Number(n)).toBeGreaterThan(3);
      const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
      await db.query(
        `UPDATE event_delivery_attempts SET attempted_at = ${db.options.type === 'postgres' ? '$1' : '?'} ` +
          'WHERE id IN (SELECT id FROM event_delivery_attempts ORDER BY id LIMIT 3)',
        [old],
      );
      const run = await gw().app.get(RetentionJob).run();
      expect(run.pruned['event_delivery_attempts']).toBe(3);
      // Other endpoints of this suite are still being retried, so count what was backdated, not the table.
      const [{ n: left }] = await db.query(
        `SELECT COUNT(*) AS n FROM event_delivery_attempts WHERE attempted_at = ${db.options.type === 'postgres' ? '$1' : '?'}`,
        [old],
      );
      expect(Number(left)).toBe(0);
    });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
