import { bazaarUser, materialsOf, newSession, postForm } from '../bazaar-e2e.helpers';
import { countChanges } from '../support/database-inspector';
import { InspectedStack, startInspectedStack } from '../support/inspected-stack';
import { errorShapeProblem, rawRequest } from '../support/raw-http';
import { FaultMode, clearFaults, setFault } from '../support/sandbox-faults';
import { TEST_API_KEY, userToken } from '../support/tokens';

const TIMEOUT_MS = 800;
/** Loopback, a busy two-core machine, one retry on connection errors: the answer still comes this soon. */
const MARGIN_MS = 1500;

const MODES: { mode: FaultMode; status: number[] }[] = [
  { mode: 'slow', status: [504] },
  { mode: 'status_500', status: [502] },
  { mode: 'reset', status: [502] },
  { mode: 'malformed_json', status: [502] },
  { mode: 'wrong_content_type', status: [502] },
  { mode: 'success_0', status: [400, 502] },
];

/** Bazaar breaks under the gateway (sandbox fault layer): 502/504 in time, nothing half-stored, then recovery. */
describe('upstream faults: Bazaar lms/browse and lms/view', () => {
  let stack: InspectedStack;
  let teacher: string;
  const user = bazaarUser({ context_id: 'fault-course', user_id: 'fault-teacher' });

  beforeAll(async () => {
    stack = await startInspectedStack({ gatewayOverrides: { BAZAAR_TIMEOUT_MS: String(TIMEOUT_MS) } });
    teacher = await userToken('fault-teacher', 'teacher');
    // One material in the course, so lms/view has something to open.
    const session = await newSession(stack.gateway, stack.sandbox, teacher, user);
    const form = session.forms[0];
    const res = await postForm(form.action, { params: form.params });
    expect(res.status).toBe(303);
    expect(await materialsOf(stack.gateway, teacher, 'fault-course')).toHaveLength(1);
  });
  afterAll(async () => {
    await clearFaults(stack.sandbox).catch(() => undefined);
    await stack?.close();
  });
  afterEach(() => clearFaults(stack.sandbox));

  const call = async (endpoint: 'browse' | 'view') => {
    const materials = await materialsOf(stack.gateway, teacher, 'fault-course');
    const body =
      endpoint === 'browse'
        ? { ...user, return_url: `${stack.sandbox.url}/demo` }
        : { ...user, resource_uid: materials[0].uid ?? materials[0].resource_uid };
    return rawRequest(stack.gateway.url, {
      body: JSON.stringify(body),
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
      method: 'POST',
      path: `/api/v1/bazaar/${endpoint}`,
      timeoutMs: TIMEOUT_MS * 4 + MARGIN_MS,
    });
  };

  for (const endpoint of ['browse', 'view'] as const) {
    it.each(MODES)(
      `${endpoint}: $mode answers $status in time, stores nothing, and recovers`,
      async ({ mode, status }) => {
        await setFault(stack.sandbox, { delay_ms: TIMEOUT_MS * 3, mode, prefix: `/bazaar/api/v1/lms/${endpoint}` });
        const before = await stack.db.fingerprint();
        const failed = await call(endpoint);
        expect(status).toContain(failed.status);
        expect(errorShapeProblem(failed)).toBeUndefined();
        expect(String(failed.json?.message)).toMatch(/Bazaar/);
        expect(failed.elapsedMs).toBeLessThanOrEqual(TIMEOUT_MS + MARGIN_MS);
        if (mode === 'slow') expect(failed.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        const changes = countChanges(before, await stack.db.fingerprint());
        if (endpoint === 'view') {
          // The one write a failed view makes on purpose: its audit row, carrying the error code.
          expect(changes).toEqual([expect.stringMatching(/^bazaar_material_views: /)]);
          const [audit] = await stack.db.query<{ outcome: string }>(
            'SELECT outcome FROM bazaar_material_views ORDER BY viewed_at DESC LIMIT 1',
          );
          expect(audit.outcome).toBe(failed.json?.code);
        } else {
          expect(changes).toEqual([]);
        }

        await clearFaults(stack.sandbox);
        const recovered = await call(endpoint);
        expect(recovered.status).toBe(200);
        expect(recovered.json?.[`${endpoint}_url`]).toMatch(/^http/);
      },
    );
  }

  it('a counted fault breaks exactly that many calls (a transient outage), then the next one succeeds', async () => {
    await setFault(stack.sandbox, { count: 2, mode: 'status_500', prefix: '/bazaar/api' });
    expect((await call('browse')).status).toBe(502);
    expect((await call('browse')).status).toBe(502);
    expect((await call('browse')).status).toBe(200);
  });
});
