import type { FaultMode } from '../../apps/sandbox/src/faults/fault.registry';
import type { RunningSandbox } from './stack';

// The sandbox's own list, so a new fault mode is exercised by every suite that loops over all of them.
export { FAULT_MODES } from '../../apps/sandbox/src/faults/fault.registry';
export type { FaultMode } from '../../apps/sandbox/src/faults/fault.registry';

/** Breaks every sandbox request under `prefix` (see apps/sandbox/src/faults) until cleared. */
export async function setFault(
  sandbox: RunningSandbox,
  fault: { prefix: string; mode: FaultMode; delay_ms?: number; count?: number },
): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/faults`, {
    body: JSON.stringify(fault),
    headers: { 'Content-Type': 'application/json' },
    method: 'POST',
  });
  if (res.status !== 201) throw new Error(`setting the fault failed: ${res.status} ${await res.text()}`);
}

export async function clearFaults(sandbox: RunningSandbox): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  if (res.status !== 204) throw new Error(`clearing faults failed: ${res.status}`);
}

/** How many requests the sandbox has received outside its `/_sandbox/` controls (Bazaar, SCORM Cloud, pages). */
export async function sandboxRequestCount(sandbox: RunningSandbox): Promise<number> {
  const res = await fetch(`${sandbox.url}/_sandbox/requests`);
  if (res.status !== 200) throw new Error(`reading the request count failed: ${res.status}`);
  return ((await res.json()) as { total: number }).total;
}
