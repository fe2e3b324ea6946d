#!/usr/bin/env node
/**
 * `npm run soak`: a bounded run of mixed traffic against the built gateway and sandbox (dist/), each its own
 * process on a free loopback port, the gateway on a temp SQLite file (or SOAK_DATABASE_URL):
 * results postbacks, Bazaar browse, Bazaar view and the materials list, round-robin on every connection.
 * Prints throughput, latency, the gateway's RSS at start (after warm-up), end and peak, and every non-2xx;
 * exits non-zero on any error response or when RSS grows more than SOAK_MAX_RSS_GROWTH_MB.
 *
 * Env: SOAK_SECONDS (45), SOAK_CONNECTIONS (32, the benchmark's concurrency), SOAK_WARMUP_SECONDS (5),
 * SOAK_MAX_RSS_GROWTH_MB (100), SOAK_DATABASE_URL.
 */
const autocannon = require('autocannon');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const {
  GATEWAY_MAIN,
  ROOT,
  SANDBOX_MAIN,
  freePort,
  startNode,
  stop,
  waitUntilUp,
} = require('../../bench/lib/processes');

const SECONDS = Number(process.env.SOAK_SECONDS ?? 45);
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 32);
const MAX_GROWTH_MB = Number(process.env.SOAK_MAX_RSS_GROWTH_MB ?? 100);
const API_KEY = 'soak-api-key-0123456789abcdef';
const BAZAAR = { id: 'soak-lms', secret: 'soak-bazaar-secret-0123456789abcdef' };
const SCORM = { id: 'SOAKAPP', secret: 'soak-scorm-secret-0123456789' };
const WEBHOOK = { password: 'soak-webhook-password-0123', user: 'soak-scorm' };
const USER = {
  city: 'Helsinki',
  city_id: '091',
  context_id: 'soak-course',
  context_title: 'Äidinkieli 7A',
  email: 'tiina@koulu.example.fi',
  first_name: 'Tiina',
  last_name: 'Öhman',
  role: 'teacher',
  school: 'Kallion yhtenäiskoulu',
  school_id: '00913',
  user_id: 'soak-teacher',
};

/** The soak gateway and sandbox get only PATH from this environment; stderr is kept for error messages. */
const start = (main, env, nodeArgs = []) => startNode(main, env, { inheritEnv: false, nodeArgs, stderr: 'capture' });
/**
 * The gateway's node flags as production runs it (Dockerfile NODE_OPTIONS, npm run start:api): a 2 MB young
 * generation. SOAK_GATEWAY_NODE_ARGS replaces them (SOAK_GATEWAY_NODE_ARGS= compares with Node's defaults).
 */
const GATEWAY_NODE_ARGS = (process.env.SOAK_GATEWAY_NODE_ARGS ?? '--max-semi-space-size=2 --heap-growing-percent=100').split(' ').filter(Boolean);

const rssMb = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return NaN;
  }
};

const unescapeHtml = (v) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

async function json(url, body, headers = {}) {
  const res = await fetch(url, {
    body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json', ...headers },
    method: 'POST',
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** One material in the soak course, picked in the sandbox store like a teacher would. */
async function seedMaterial(gatewayUrl, sandboxUrl) {
  const { browse_url: browseUrl } = await json(`${gatewayUrl}/api/v1/bazaar/browse`, {
    ...USER,
    return_url: `${sandboxUrl}/demo`,
  });
  const html = await (await fetch(browseUrl)).text();
  const form =
    /<form action="([^"]+)" method="POST" data-uid="([^"]+)">\s*<input type="hidden" name="params" value="([^"]+)">/.exec(
      html,
    );
  if (!form) throw new Error('the sandbox store page has no material form');
  const res = await fetch(unescapeHtml(form[1]), {
    body: new URLSearchParams({ params: form[3] }).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    method: 'POST',
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`the callback answered ${res.status}`);
  return unescapeHtml(form[2]);
}

async function main() {
  for (const main of [GATEWAY_MAIN, SANDBOX_MAIN]) {
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gw-soak-'));
  const [gatewayPort, sandboxPort] = [await freePort(), await freePort()];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandbox = start(SANDBOX_MAIN, {
    SANDBOX_BAZAAR_CLIENTS: `${BAZAAR.id}:${BAZAAR.secret}`,
    SANDBOX_GATEWAY_URL: gatewayUrl,
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_PUBLIC_URL: sandboxUrl,
    SANDBOX_SCORM_APPS: `${SCORM.id}:${SCORM.secret}`,
    SANDBOX_STATE_FILE: '',
  });
  const gateway = start(GATEWAY_MAIN, {
    ALLOWED_RETURN_ORIGINS: sandboxUrl,
    API_KEYS: `soak:${API_KEY}`,
    AUTH_FAILURE_LIMIT: '100000',
    BAZAAR_BASE_URL: `${sandboxUrl}/bazaar/api/v1`,
    BAZAAR_CLIENT_ID: BAZAAR.id,
    BAZAAR_SECRET_KEY: BAZAAR.secret,
    DATABASE_URL: process.env.SOAK_DATABASE_URL ?? `sqlite:${join(dir, 'gateway.sqlite')}`,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    PORT: String(gatewayPort),
    PUBLIC_BASE_URL: gatewayUrl,
    SCORM_APP_ID: SCORM.id,
    SCORM_CLOUD_BASE_URL: `${sandboxUrl}/scorm/api/v2`,
    SCORM_PRIVATE_KEY_PATH: join(ROOT, 'test/fixtures/keys/scorm_private_key.pem'),
    SCORM_PUBLIC_KEY_PATH: join(ROOT, 'test/fixtures/keys/scorm_public_key.pem'),
    SCORM_SECRET_KEY: SCORM.secret,
    WEBHOOK_PASSWORD: WEBHOOK.password,
    WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    WEBHOOK_USERNAME: WEBHOOK.user,
  }, GATEWAY_NODE_ARGS);
  try {
    await waitUntilUp(`${sandboxUrl}/health`, sandbox);
    await waitUntilUp(`${gatewayUrl}/health/ready`, gateway);
    const uid = await seedMaterial(gatewayUrl, sandboxUrl);

    const basic = `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`;
    const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    let sequence = 0;
    const base = Date.now() - 30 * 24 * 3600_000;
    const requests = [
      {
        headers: { authorization: basic, 'content-type': 'application/json' },
        method: 'POST',
        path: '/api/v1/webhooks/scorm-cloud',
        setupRequest: (req) => {
          const n = sequence++;
          const updated = new Date(base + n * 1000).toISOString();
          return {
            ...req,
            body: JSON.stringify({
              id: `soak-reg-${n % 500}`,
              instance: 0,
              registrationCompletion: 'INCOMPLETE',
              registrationSuccess: 'UNKNOWN',
              score: { scaled: n % 100 },
              totalSecondsTracked: n,
              updated,
            }),
          };
        },
      },
      {
        body: JSON.stringify({ ...USER, return_url: `${sandboxUrl}/demo` }),
        headers: auth,
        method: 'POST',
        path: '/api/v1/bazaar/browse',
      },
      {
        body: JSON.stringify({ ...USER, resource_uid: uid }),
        headers: auth,
        method: 'POST',
        path: '/api/v1/bazaar/view',
      },
      { headers: auth, method: 'GET', path: `/api/v1/contexts/${USER.context_id}/materials` },
    ];
    const run = (duration) =>
      autocannon({ connections: CONNECTIONS, duration, requests, timeout: 10, url: gatewayUrl });

    await run(WARMUP_SECONDS);
    const samples = [];
    const sampler = setInterval(() => samples.push(rssMb(gateway.pid)), 1000);
    const rssStart = rssMb(gateway.pid);
    const statuses = {};
    const instance = run(SECONDS);
    const result = await instance;
    clearInterval(sampler);
    const rssEnd = rssMb(gateway.pid);
    for (const [code, n] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = n.count;
    const health = await fetch(`${gatewayUrl}/health/ready`);
    const growth = rssEnd - rssStart;
    const bad = result.non2xx + result.errors + result.timeouts;
    const lines = [
      `soak: ${SECONDS} s of mixed traffic (postback, browse, view, list) on ${CONNECTIONS} connections against the built gateway`,
      `  requests: ${result.requests.total} (${Math.round(result.requests.average)}/s); status codes ${JSON.stringify(statuses)}`,
      `  latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      `  errors: ${result.non2xx} non-2xx, ${result.errors} connection errors, ${result.timeouts} time-outs`,
      `  gateway RSS: ${rssStart.toFixed(0)} MB at start, ${rssEnd.toFixed(0)} MB at end, ` +
        `${Math.max(rssStart, rssEnd, ...samples).toFixed(0)} MB peak (growth ${growth.toFixed(0)} MB, limit ${MAX_GROWTH_MB} MB)`,
      `  health after the run: ${health.status}`,
    ];
    console.log(lines.join('\n'));
    if (bad || health.status !== 200 || growth > MAX_GROWTH_MB) {
      console.error('soak FAILED');
      process.exitCode = 1;
    }
  } finally {
    await stop(gateway);
    await stop(sandbox);
    rmSync(dir, { force: true, recursive: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
