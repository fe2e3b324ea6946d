#!/usr/bin/env node
/**
 * The gateway's added latency on Bazaar browse and view: the same signed lms/browse (lms/view) request sent
 * straight to the sandbox Bazaar, against the gateway's POST /api/v1/bazaar/browse (view) with an API key,
 * which validates, stores a state (a view-log row), signs and calls that same sandbox. Both apps are the
 * built ones (dist/), each a child process on a free loopback port; the gateway uses a temp SQLite file. A third
 * peer, a bare node:http relay (bench/lib/bazaar-relay.js: parse, sign, call, answer, nothing else), shows the
 * floor any gateway in Node stands on, as its own ratio to the direct call.
 * Latencies are taken per response (sub-millisecond), serially by default (one connection), so the figure is
 * the gateway's own cost rather than queueing on a shared machine. Each line also gives the CPU (user + system, all
 * threads, from /proc) each answered request cost the sandbox (direct) and the gateway: steadier than latency when
 * other jobs load the machine.
 *
 * Run: `npm run bench -- bazaar` (builds first) or, after `npm run build`, `node bench/bazaar.bench.js`.
 * Env: BENCH_DURATION (s per measurement, default 3), BENCH_CONNECTIONS (1), BENCH_GATEWAY_NODE_ARGS (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the gateway; summarise with bench/cpu-profile-summary.js),
 * BENCH_GATEWAY_MAIN (another build's dist/.../main.js, to compare two versions against the same sandbox).
 */
const autocannon = require('autocannon');
const { createHmac } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const { GATEWAY_MAIN, ROOT, SANDBOX_MAIN, freePort, startNode, stop, waitUntilUp } = require('./lib/processes');

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const WARMUP = 1;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const CLIENT_ID = 'bench-lms';
const SECRET = 'bench-bazaar-secret-0123456789abcdef';
const API_KEY = 'bench-api-key-0123456789abcdef';
const SEED_UID = 'dc38da67-bb73-4062-8c67-a6e76e6c8f69';
/** The goal, as a ratio measured in one run: absolute milliseconds differ several-fold between machines. */
const GOAL_RATIO_P50 = 3;
/** /proc/<pid>/stat counts CPU time in clock ticks: 100 a second on Linux (USER_HZ). */
const CLOCK_TICKS = 100;

const USER = {
  first_name: 'Tiina',
  last_name: 'Öhman',
  email: 'tiina@koulu.example.fi',
  user_id: 'bench-teacher',
  context_id: 'bench-course',
  context_title: 'Äidinkieli 7A',
  role: 'teacher',
  school: 'Kallion yhtenäiskoulu',
  school_id: '00913',
  city: 'Helsinki',
  city_id: '091',
};

/** Serial requests for `seconds`; percentiles from every response's own time (float ms). */
function measure(url, path, headers, body, seconds) {
  return new Promise((ok, fail) => {
    const times = [];
    const instance = autocannon(
      { body, connections: CONNECTIONS, duration: seconds, headers, method: 'POST', url: `${url}${path}` },
      (error, result) => {
        if (error) return fail(error);
        times.sort((a, b) => a - b);
        const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
        ok({
          errors: result.errors + result.timeouts,
          n: result['2xx'],
          non2xx: result.non2xx,
          p50: at(0.5),
          p99: at(0.99),
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 200) times.push(responseTime);
    });
    instance.on('error', fail);
  });
}

/** CPU time (user + system, ms) a process has used so far; Linux only (undefined elsewhere). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * The measurement, and the CPU `pid` spent per answered request meanwhile: on a shared machine latency swings with
 * other jobs' load, the CPU a request costs the gateway much less.
 */
async function run(label, url, path, headers, body, pid) {
  await measure(url, path, headers, body, WARMUP);
  const cpuBefore = pid && cpuMs(pid);
  const result = await measure(url, path, headers, body, DURATION);
  const cpuAfter = pid && cpuMs(pid);
  if (!result.n || result.non2xx || result.errors) {
    throw new Error(`${label}: ${result.n} ok, ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return { ...result, cpuPerRequest: cpuBefore === undefined ? NaN : (cpuAfter - cpuBefore) / result.n };
}

const signed = (payload) => {
  const body = JSON.stringify(payload);
  const hash = createHmac('sha256', SECRET).update(Buffer.from(body, 'utf8')).digest('hex');
  return { body, headers: { authentication: `BAZAAR ${CLIENT_ID}:${hash}`, 'content-type': 'application/json' } };
};

/** Adds the seed material to the bench course the way a browser does, so view has something to open. */
async function addMaterial(gatewayUrl, sandboxUrl) {
  const res = await fetch(`${gatewayUrl}/api/v1/bazaar/browse`, {
    body: JSON.stringify({ ...USER, return_url: `${sandboxUrl}/demo` }),
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    method: 'POST',
  });
  if (res.status !== 200) throw new Error(`browse for setup failed: ${res.status} ${await res.text()}`);
  const html = await (await fetch((await res.json()).browse_url)).text();
  const form = new RegExp(
    `<form action="([^"]+)" method="POST" data-uid="${SEED_UID}">\\s*<input type="hidden" name="params" value="([^"]+)">`,
  ).exec(html);
  const action = form[1].replace(/&amp;/g, '&');
  const added = await fetch(action, {
    body: new URLSearchParams({ params: form[2] }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    method: 'POST',
    redirect: 'manual',
  });
  if (added.status !== 303) throw new Error(`add callback failed: ${added.status}`);
}

const fmt = (ms) => `${ms.toFixed(2)} ms`;

async function main() {
  const [sandboxPort, gatewayPort, relayPort] = [await freePort(), await freePort(), await freePort()];
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-'));
  const sandbox = startNode(SANDBOX_MAIN, {
    SANDBOX_BAZAAR_CLIENTS: `${CLIENT_ID}:${SECRET}`,
    SANDBOX_GATEWAY_URL: gatewayUrl,
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_PUBLIC_URL: sandboxUrl,
    SANDBOX_STATE_FILE: '',
  });
  const gateway = startNode(
    process.env.BENCH_GATEWAY_MAIN ?? GATEWAY_MAIN,
    {
      ALLOWED_RETURN_ORIGINS: sandboxUrl,
      API_KEYS: `bench:${API_KEY}`,
      BAZAAR_BASE_URL: `${sandboxUrl}/bazaar/api/v1`,
      BAZAAR_CLIENT_ID: CLIENT_ID,
      BAZAAR_SECRET_KEY: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      PORT: String(gatewayPort),
      PUBLIC_BASE_URL: gatewayUrl,
      SANDBOX_PORT: String(sandboxPort),
      SCORM_PRIVATE_KEY_PATH: join(ROOT, 'test/fixtures/keys/scorm_private_key.pem'),
      SCORM_PUBLIC_KEY_PATH: join(ROOT, 'test/fixtures/keys/scorm_public_key.pem'),
      WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    },
    { nodeArgs: (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean) },
  );
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const relay = startNode(join(__dirname, 'lib/bazaar-relay.js'), {
    RELAY_CLIENT_ID: CLIENT_ID,
    RELAY_PORT: String(relayPort),
    RELAY_SECRET: SECRET,
    RELAY_UPSTREAM: `${sandboxUrl}/bazaar/api/v1/lms`,
  });
  try {
    await waitUntilUp(`${sandboxUrl}/health`, sandbox);
    await waitUntilUp(`${gatewayUrl}/health`, gateway);
    await waitUntilUp(`${relayUrl}/health`, relay);
    await addMaterial(gatewayUrl, sandboxUrl);

    const callbacks = `${gatewayUrl}/api/v1/bazaar/callbacks`;
    const state = 'x'.repeat(43);
    const directBrowse = signed({
      ...USER,
      add_resource_callback_url: `${callbacks}/add?state=${state}`,
      cancel_url: `${callbacks}/cancel?state=${state}`,
    });
    const directView = signed({ ...USER, resource_uid: SEED_UID });
    const gatewayHeaders = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

    const rows = [];
    for (const [name, direct, gatewayBody, path] of [
      ['browse', directBrowse, JSON.stringify({ ...USER, return_url: `${sandboxUrl}/demo` }), 'browse'],
      ['view', directView, JSON.stringify({ ...USER, resource_uid: SEED_UID }), 'view'],
    ]) {
      const bazaar = await run(
        `${name} direct`,
        sandboxUrl,
        `/bazaar/api/v1/lms/${path}`,
        direct.headers,
        direct.body,
        sandbox.pid,
      );
      const viaGateway = await run(
        `${name} gateway`,
        gatewayUrl,
        `/api/v1/bazaar/${path}`,
        gatewayHeaders,
        gatewayBody,
        gateway.pid,
      );
      const viaRelay = await run(
        `${name} relay`,
        relayUrl,
        `/${path}`,
        { 'content-type': 'application/json' },
        direct.body,
        relay.pid,
      );
      rows.push({ bazaar, name, viaGateway, viaRelay });
    }

    console.log(`Bazaar added latency, ${CONNECTIONS} connection(s), ${DURATION} s per measurement, SQLite`);
    let pass = true;
    for (const { name, bazaar, viaGateway, viaRelay } of rows) {
      const added50 = viaGateway.p50 - bazaar.p50;
      const added99 = viaGateway.p99 - bazaar.p99;
      pass &&= viaGateway.p50 <= GOAL_RATIO_P50 * bazaar.p50;
      console.log(
        `  ${name.padEnd(6)} direct p50 ${fmt(bazaar.p50)} p99 ${fmt(bazaar.p99)} (${bazaar.n} req) | ` +
          `gateway p50 ${fmt(viaGateway.p50)} p99 ${fmt(viaGateway.p99)} (${viaGateway.n} req) | ` +
          `added p50 ${fmt(added50)} p99 ${fmt(added99)} | ratio p50 ${(viaGateway.p50 / bazaar.p50).toFixed(2)}x | ` +
          `CPU per request: sandbox ${fmt(bazaar.cpuPerRequest)}, gateway ${fmt(viaGateway.cpuPerRequest)}`,
      );
      console.log(
        `  ${''.padEnd(6)} bare relay p50 ${fmt(viaRelay.p50)} p99 ${fmt(viaRelay.p99)} (${viaRelay.n} req) | ` +
          `ratio p50 ${(viaRelay.p50 / bazaar.p50).toFixed(2)}x | CPU per request ${fmt(viaRelay.cpuPerRequest)} ` +
          '(the floor: parse, sign, call, answer; nothing validated or stored)',
      );
    }
    console.log(
      `  goal: gateway p50 at most ${GOAL_RATIO_P50}x the direct call's, browse and view: ${pass ? 'met' : 'NOT met'}`,
    );
  } finally {
    await Promise.all([stop(gateway), stop(sandbox), stop(relay)]);
    rmSync(dir, { force: true, recursive: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
