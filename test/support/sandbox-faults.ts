import type { RunningSandbox } from './stack';

export type FaultMode =
  'slow' | 'status_500' | 'reset' | 'malformed_json' | 'malformed_xml' | 'wrong_content_type' | 'success_0';

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
