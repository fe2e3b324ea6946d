import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';

import { DEMO_LMS_WEBHOOK_SECRET } from '../apps/sandbox/src/sandbox.config';
import { insertRegistration } from './support/registrations';
import { RunningSandbox, TEST_SECRETS, startGateway, startSandbox } from './support/stack';

/**
 * The sandbox's "LMS back end" (POST /lms/webhooks) as the other party of the gateway's signed deliveries: it verifies
 * with the Standard Webhooks reference library, refuses forged, tampered, stale and unsigned deliveries with 401,
 * acknowledges a retry of a webhook-id once more without processing it again, and shows what it verified. Deliveries
 * here are signed by the same library, the way the gateway's are; the last suite has the real gateway deliver to it.
 */
jest.setTimeout(30_000);

const signer = new Webhook(DEMO_LMS_WEBHOOK_SECRET);
const BASIC = `Basic ${Buffer.from(`${TEST_SECRETS.webhookUsername}:${TEST_SECRETS.webhookPassword}`).toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;

function delivery(
  id: string,
  payload: object,
  options: { at?: Date; signWith?: Webhook; body?: string } = {},
): { body: string; headers: Record<string, string> } {
  const at = options.at ?? new Date();
  const body = JSON.stringify(payload);
  const signature = (options.signWith ?? signer).sign(id, at, body);
  return {
    body: options.body ?? body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-signature': signature,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    },
  };
}

const event = (n: number) => ({
  data: { registration_id: `reg-${n}`, success: 'PASSED' },
  timestamp: new Date().toISOString(),
  type: 'registration.completed',
});

describe('sandbox LMS back end', () => {
  let sandbox: RunningSandbox;
  let stateDir: string;
  const post = (d: { body: string; headers: Record<string, string> }) =>
    fetch(`${sandbox.url}/lms/webhooks`, { body: d.body, headers: d.headers, method: 'POST' });
  const received = async () =>
    (await (await fetch(`${sandbox.url}/lms/webhooks/received`)).json()) as {
      received: { webhook_id: string; type: string; data: unknown; duplicates: number }[];
      rejected: { webhook_id: string | null; reason: string }[];
    };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sandbox-lms-'));
    sandbox = await startSandbox({ SANDBOX_STATE_FILE: join(stateDir, 'sandbox.json') });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(stateDir, { force: true, recursive: true });
  });

  it('accepts a signed delivery and shows it; a retry with the same webhook-id is acknowledged, not processed again', async () => {
    const first = delivery('evt_one', event(1));
    expect((await post(first)).status).toBe(204);
    // A retry is signed afresh (new timestamp) but carries the same id.
    expect((await post(delivery('evt_one', event(1)))).status).toBe(204);
    const list = await received();
    expect(list.received.filter((w) => w.webhook_id === 'evt_one')).toEqual([
      expect.objectContaining({
        data: { registration_id: 'reg-1', success: 'PASSED' },
        duplicates: 1,
        type: 'registration.completed',
      }),
    ]);
  });

  it('refuses forged, tampered, stale, future and unsigned deliveries with 401, and stores none of them', async () => {
    const forged = delivery('evt_forged', event(2), { signWith: new Webhook(OTHER_SECRET) });
    const tampered = delivery('evt_tampered', event(3), { body: JSON.stringify(event(4)) });
    const stale = delivery('evt_stale', event(5), { at: new Date(Date.now() - 10 * 60_000) });
    const future = delivery('evt_future', event(6), { at: new Date(Date.now() + 10 * 60_000) });
    const unsigned = { body: JSON.stringify(event(7)), headers: { 'content-type': 'application/json' } };
    for (const attempt of [forged, tampered, stale, future, unsigned]) {
      const response = await post(attempt);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_signature' });
    }
    // A captured delivery replayed later than the tolerance is stale too, even with its id unseen.
    const list = await received();
    expect(list.received.map((w) => w.webhook_id)).toEqual(['evt_one']);
    expect(list.rejected.map((r) => r.webhook_id)).toEqual([
      null,
      'evt_future',
      'evt_stale',
      'evt_tampered',
      'evt_forged',
    ]);
  });

  it('keeps what it verified across a restart (beside SANDBOX_STATE_FILE)', async () => {
    expect((await post(delivery('evt_two', event(8)))).status).toBe(204);
    await sandbox.close();
    sandbox = await startSandbox({ SANDBOX_STATE_FILE: join(stateDir, 'sandbox.json') });
    const list = await received();
    expect(list.received.map((w) => w.webhook_id)).toEqual(['evt_two', 'evt_one']);
    // Still deduplicated after the restart.
    expect((await post(delivery('evt_two', event(8)))).status).toBe(204);
    expect((await received()).received.map((w) => w.webhook_id)).toEqual(['evt_two', 'evt_one']);
  });
});

describe('sandbox LMS back end receiving the gateway (EVENT_SUBSCRIPTIONS)', () => {
  it('gets each event of a postback once, signed, verified, with the outbox event id as webhook-id', async () => {
    const sandbox = await startSandbox();
    const gateway = await startGateway({
      overrides: {
        EVENT_SUBSCRIPTIONS: JSON.stringify([
          { event_types: ['*'], name: 'demo-lms', secret: DEMO_LMS_WEBHOOK_SECRET, url: `${sandbox.url}/lms/webhooks` },
        ]),
      },
      sandboxPort: sandbox.port,
    });
    try {
      await insertRegistration(gateway, 'reg-lms-1', { contextId: 'course-ctx', learnerId: 'learner-9' });
      const response = await fetch(`${gateway.url}/api/v1/webhooks/scorm-cloud`, {
        body: JSON.stringify({
          id: 'reg-lms-1',
          instance: 0,
          registrationCompletion: 'COMPLETED',
          registrationSuccess: 'PASSED',
          score: { scaled: 90 },
          totalSecondsTracked: 60,
          updated: new Date().toISOString(),
        }),
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        method: 'POST',
      });
      expect(response.status).toBeLessThan(300);
      const list = async () =>
        (await (await fetch(`${sandbox.url}/lms/webhooks/received`)).json()) as {
          received: { webhook_id: string; type: string; data: { registration_id?: string } }[];
          rejected: unknown[];
        };
      const deadline = Date.now() + 10_000;
      let got = await list();
      while (got.received.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        got = await list();
      }
      expect(got.rejected).toEqual([]);
      expect(got.received.map((w) => w.type).sort()).toEqual([
        'registration.completed',
        'registration.progress_changed',
      ]);
      expect(got.received.every((w) => w.data.registration_id === 'reg-lms-1')).toBe(true);
      const ids: { id: string }[] = await gateway.app
        .get(DataSource)
        .query("SELECT id FROM events WHERE registration_id = 'reg-lms-1'");
      expect(got.received.map((w) => w.webhook_id).sort()).toEqual(ids.map((row) => row.id).sort());
    } finally {
      await gateway.close();
      await sandbox.close();
    }
  });
});
