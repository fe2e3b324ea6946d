import request from 'supertest';

import { scormPackage } from '../fixtures/scorm/scorm-package';
import { countChanges } from '../support/database-inspector';
import { InspectedStack, startInspectedStack } from '../support/inspected-stack';
import { RawResponse, errorShapeProblem, rawRequest } from '../support/raw-http';
import { FAULT_MODES, FaultMode, clearFaults, setFault } from '../support/sandbox-faults';
import { TEST_API_KEY } from '../support/tokens';

const TIMEOUT_MS = 800;
const MARGIN_MS = 1500;
const MODES = FAULT_MODES;
const admin = { Authorization: `Bearer ${TEST_API_KEY}` };

/** SCORM Cloud breaks under the gateway (sandbox fault layer): 502/504 in time, nothing half-stored, recovery. */
describe.each(['v2', 'v1'] as const)('upstream faults: SCORM Cloud over %s', (api) => {
  let stack: InspectedStack;
  const prefix = api === 'v2' ? '/scorm/api/v2/registrations' : '/scorm/api';

  beforeAll(async () => {
    stack = await startInspectedStack({
      gatewayOverrides: { SCORM_CLOUD_API: api, SCORM_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    await request(stack.gateway.url)
      .post('/api/v1/scorm/courses?course_id=fault-course')
      .set(admin)
      .attach('file', scormPackage('Fault course'), { contentType: 'application/zip', filename: 'fault.zip' })
      .expect(201);
    expect((await create('reg-fault-base')).status).toBe(201);
  });
  afterAll(async () => {
    await clearFaults(stack.sandbox).catch(() => undefined);
    await stack?.close();
  });
  afterEach(() => clearFaults(stack.sandbox));

  function create(id: string): Promise<RawResponse> {
    return rawRequest(stack.gateway.url, {
      body: JSON.stringify({
        context_id: 'lms-course-7',
        course_id: 'fault-course',
        learner_first_name: 'Aino',
        learner_id: 'learner-9',
        learner_last_name: 'Virtanen',
        registration_id: id,
      }),
      headers: { ...admin, 'Content-Type': 'application/json' },
      method: 'POST',
      path: '/api/v1/scorm/registrations',
      timeoutMs: TIMEOUT_MS * 4 + MARGIN_MS,
    });
  }
  const launch = (id: string) =>
    rawRequest(stack.gateway.url, {
      body: '{}',
      headers: { ...admin, 'Content-Type': 'application/json' },
      method: 'POST',
      path: `/api/v1/scorm/registrations/${id}/launch`,
      timeoutMs: TIMEOUT_MS * 4 + MARGIN_MS,
    });
  const refresh = (id: string) =>
    rawRequest(stack.gateway.url, {
      headers: admin,
      method: 'GET',
      path: `/api/v1/scorm/registrations/${id}?refresh=true`,
      timeoutMs: TIMEOUT_MS * 4 + MARGIN_MS,
    });

  /** The v2 client retries idempotent calls (GET) up to 3 times with a short backoff; v1 and POSTs try once. */
  function expectUpstreamFailure(res: RawResponse, mode: FaultMode, attempts = 1): void {
    expect({ mode, status: res.status }).toEqual({ mode, status: mode === 'slow' ? 504 : 502 });
    expect(errorShapeProblem(res)).toBeUndefined();
    expect(String(res.json?.message)).toMatch(/SCORM Cloud/);
    expect(res.elapsedMs).toBeLessThanOrEqual(attempts * TIMEOUT_MS + MARGIN_MS);
  }

  // v2 creates answer 204 without a body, so a JSON `{success: 0}` there is not read (and not a v2 failure shape).
  const createModes = MODES.filter((mode) => mode !== 'slow' && !(api === 'v2' && mode === 'success_0'));

  it.each(createModes)(
    'registration create under %s: 502 in time, nothing stored, then the same id succeeds',
    async (mode) => {
      const id = `reg-${api}-${mode}`;
      await setFault(stack.sandbox, { mode, prefix });
      const before = await stack.db.fingerprint();
      expectUpstreamFailure(await create(id), mode);
      expect(countChanges(before, await stack.db.fingerprint())).toEqual([]);
      await clearFaults(stack.sandbox);
      expect((await create(id)).status).toBe(201);
    },
  );

  it('registration create past the time-out: 504 in time, nothing stored, then the same id adopts the orphan', async () => {
    const id = `reg-${api}-slow`;
    await setFault(stack.sandbox, { delay_ms: TIMEOUT_MS * 2, mode: 'slow', prefix });
    const before = await stack.db.fingerprint();
    expectUpstreamFailure(await create(id), 'slow');
    expect(countChanges(before, await stack.db.fingerprint())).toEqual([]);
    await clearFaults(stack.sandbox);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    // The held request still created the registration upstream after we gave up: retrying the same id adopts
    // it (same course and learner) instead of being stuck on a conflict.
    expect((await create(id)).status).toBe(201);
    expect((await create(`${id}-2`)).status).toBe(201);
  });

  it.each(MODES)('launch under %s: 502/504 in time (or no upstream call at all), then recovers', async (mode) => {
    await setFault(stack.sandbox, { delay_ms: TIMEOUT_MS * 3, mode, prefix });
    const before = await stack.db.fingerprint();
    const failed = await launch('reg-fault-base');
    // v1 builds the signed launch URL locally: there is no call for a fault to break.
    if (!(api === 'v1' && failed.status === 200)) {
      expectUpstreamFailure(failed, mode);
      expect(countChanges(before, await stack.db.fingerprint())).toEqual([]);
    }
    await clearFaults(stack.sandbox);
    const recovered = await launch('reg-fault-base');
    expect(recovered.status).toBe(200);
    expect(String(recovered.json?.launch_url)).toMatch(/^http/);
  });

  it.each(MODES)('refresh under %s: 502/504 in time, stored progress untouched, then recovers', async (mode) => {
    await setFault(stack.sandbox, { delay_ms: TIMEOUT_MS * 3, mode, prefix });
    const before = await stack.db.fingerprint();
    const failed = await refresh('reg-fault-base');
    expectUpstreamFailure(failed, mode, api === 'v2' ? 3 : 1);
    expect(countChanges(before, await stack.db.fingerprint())).toEqual([]);
    await clearFaults(stack.sandbox);
    expect((await refresh('reg-fault-base')).status).toBe(200);
  });
});
