import { DatabaseInspector, inspectDatabase } from './database-inspector';
import { RunningStack, startStack } from './stack';

/**
 * For suites that send hostile traffic on purpose and compare database fingerprints: no per-address lock-out
 * after failed authentications, and no background reconciliation writing between two snapshots.
 */
export const HOSTILE_TRAFFIC_OVERRIDES: Record<string, string> = {
  AUTH_FAILURE_LIMIT: '100000',
  WEBHOOK_RECONCILE_INTERVAL_MS: '0',
  // Learner deletion configured (a realm user the sandbox knows), so the route is exercised, not refused with 503.
  SCORM_CLOUD_REALM_USER_EMAIL: 'realm-admin@sandbox.example',
};

export interface InspectedStack extends RunningStack {
  /** A second connection on the gateway's database, to prove what was (not) stored. */
  db: DatabaseInspector;
}

/** startStack() plus an inspector on the gateway's database; close() closes both. */
export async function startInspectedStack(options: Parameters<typeof startStack>[0] = {}): Promise<InspectedStack> {
  const stack = await startStack(options);
  let db: DatabaseInspector;
  try {
    db = await inspectDatabase(stack.gateway.database);
  } catch (error) {
    await stack.close();
    throw error;
  }
  return {
    ...stack,
    close: async () => {
      await db.close();
      await stack.close();
    },
    db,
  };
}
