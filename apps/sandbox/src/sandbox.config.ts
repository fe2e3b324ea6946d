import { basename, dirname, extname, join, resolve } from 'node:path';

/**
 * The sandbox is the other party: it reads its own settings and shares no code with the gateway, so a bug
 * in a gateway signer cannot hide behind the same bug in the sandbox's verifier.
 */
export interface SandboxConfig {
  port: number;
  host: string;
  /** Where the sandbox itself is reached by browsers (links in store, view and player pages). */
  publicUrl: string;
  /** Where the demo LMS page reaches the gateway. */
  gatewayUrl: string;
  bazaar: {
    /** client_id -> secret key */
    clients: Record<string, string>;
    urlTtlMs: number;
  };
  scormCloud: {
    /** appId -> secret key */
    apps: Record<string, string>;
    /** Where courses, registrations, import jobs and progress survive a restart; undefined keeps them in memory. */
    stateFile?: string;
    /** Realm users' primary emails: v2's learner deletion acts only on behalf of one of them. */
    realmUsers: string[];
  };
  demo: {
    lmsJwtSecret: string;
  };
  /** The demo LMS's back end: where the gateway delivers signed events (Standard Webhooks). */
  lmsBackend: {
    /** The `whsec_…` secret the gateway's subscription signs with (npm start's EVENT_SUBSCRIPTIONS names the same). */
    webhookSecret: string;
    /** Verified deliveries kept to show on the demo page. */
    keep: number;
    /** Where they survive a restart (beside SANDBOX_STATE_FILE); undefined keeps them in memory. */
    stateFile?: string;
  };
}

/** The demo back end's webhook secret: base64 of "demo-lms-back-end-webhook-secret"; production has its own. */
export const DEMO_LMS_WEBHOOK_SECRET = 'whsec_ZGVtby1sbXMtYmFjay1lbmQtd2ViaG9vay1zZWNyZXQ=';

export const SANDBOX_CONFIG = Symbol('SANDBOX_CONFIG');

function pairs(value: string | undefined, fallback: Record<string, string>): Record<string, string> {
  if (!value) return fallback;
  const result: Record<string, string> = {};
  for (const entry of value.split(',')) {
    const at = entry.indexOf(':');
    if (at > 0) result[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return result;
}

/** Unset: `data/sandbox.json` beside `npm start`'s SQLite file; empty or `:memory:`: nothing on disk. */
function stateFile(value: string | undefined): string | undefined {
  if (value === undefined) return resolve('data/sandbox.json');
  const trimmed = value.trim();
  return trimmed === '' || trimmed === ':memory:' ? undefined : resolve(trimmed);
}

export function loadSandboxConfig(env: Record<string, string | undefined> = process.env): SandboxConfig {
  const port = Number(env.SANDBOX_PORT ?? 3100);
  const host = env.SANDBOX_HOST ?? '127.0.0.1';
  const state = stateFile(env.SANDBOX_STATE_FILE);
  return {
    bazaar: {
      clients: pairs(env.SANDBOX_BAZAAR_CLIENTS, { 'demo-lms': 'demo-bazaar-secret-bc0ec839034cc0a4fe68af' }),
      urlTtlMs: Number(env.SANDBOX_BAZAAR_URL_TTL_MS ?? 60_000),
    },
    demo: { lmsJwtSecret: env.SANDBOX_DEMO_JWT_SECRET ?? 'demo-lms-jwt-secret-at-least-32-bytes-long' },
    gatewayUrl: (env.SANDBOX_GATEWAY_URL ?? 'http://localhost:3000').replace(/\/+$/, ''),
    host,
    lmsBackend: {
      keep: Number(env.SANDBOX_LMS_WEBHOOKS_KEEP ?? 50),
      stateFile: state && join(dirname(state), `${basename(state, extname(state))}-lms-webhooks.json`),
      webhookSecret: env.SANDBOX_LMS_WEBHOOK_SECRET ?? DEMO_LMS_WEBHOOK_SECRET,
    },
    port,
    publicUrl: (env.SANDBOX_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    scormCloud: {
      apps: pairs(env.SANDBOX_SCORM_APPS, { DEMOAPP: 'demo-scorm-secret-key-0123456789' }),
      realmUsers: (env.SANDBOX_SCORM_REALM_USERS ?? 'realm-admin@sandbox.example')
        .split(',')
        .map((email) => email.trim())
        .filter(Boolean),
      stateFile: state,
    },
  };
}
