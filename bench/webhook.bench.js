#!/usr/bin/env node
/**
 * Sustained SCORM Cloud postbacks per second and p99 latency at 32 connections, v2 JSON shape with HTTP Basic
 * to each registration's own postback URL (with its token), a unique `updated` per request so every one is a
 * new postback that must be durably stored and applied to a registration the gateway knows.
 *
 * Targets, each a separate child process on a free loopback port, measured in the same run:
 *   bare      node:http that reads and JSON.parses the body, stores nothing (the ceiling)
 *   sqlite    the built gateway on a temp SQLite file (the default database)
 *   postgres  the built gateway on a scratch PostgreSQL database (CREATE/DROP on PG_ADMIN_URL)
 * After each gateway run the stored rows are counted: they must equal the 2xx answers.
 *
 * Run: `npm run bench -- webhook` (builds first) or `npx nest build api && node bench/webhook.bench.js`.
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (32), BENCH_TARGETS (bare,sqlite,postgres),
 * BENCH_REGISTRATIONS (200), BENCH_TOKENS (1: postback URLs carry the per-registration token; 0: credentials only), BENCH_NODE_ARGS (e.g. --cpu-prof for the gateway), PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
 */
const autocannon = require('autocannon');
const Database = require('better-sqlite3');
const { spawn } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { SignJWT, importPKCS8 } = require('jose');
const { Client } = require('pg');

const { GATEWAY_MAIN, ROOT, freePort, startNode, stop, waitUntilUp } = require('./lib/processes');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Math.max(1, Math.round(DURATION / 5));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 200);
const TARGETS = (process.env.BENCH_TARGETS ?? 'bare,sqlite,postgres').split(',').map((t) => t.trim());
const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USER = 'bench-scorm';
const PASSWORD = 'bench-webhook-password-0123456789';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const PATH = '/api/v1/webhooks/scorm-cloud';
const KEYS = join(ROOT, 'test/fixtures/keys');
const APP_ID = 'BENCHAPP';
const GOALS = { postgres: 0.1, sqlite: 0.2 };
const P99_GOAL_MS = 25;

const BARE_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let status = 200;
    let body;
    try { body = { status: 'success', registration_id: JSON.parse(Buffer.concat(chunks).toString('utf8')).id }; }
    catch { status = 400; body = { status: 'bad' }; }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.send && process.send('ready'));
`;

function gatewayEnv(port, databaseUrl) {
  return {
    API_KEYS: 'bench:bench-api-key-0123456789abcdef',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SCORM_APP_ID: APP_ID,
    SCORM_PRIVATE_KEY_PATH: join(KEYS, 'scorm_private_key.pem'),
    SCORM_PUBLIC_KEY_PATH: join(KEYS, 'scorm_public_key.pem'),
    WEBHOOK_PASSWORD: PASSWORD,
    WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    WEBHOOK_USERNAME: USER,
  };
}

let sequence = 0;
const base = Date.now() - 24 * 3600_000;
/** One postback request: the registration's own postback URL (with its token) and a new `updated`. */
function postback(registrations) {
  // Each request is a new postback: its own registration slot and a later `updated` than any before it.
  const n = sequence++;
  const { id, token } = registrations[n % registrations.length];
  const updated = new Date(base + n).toISOString();
  const path = token ? `${PATH}?token=${token}` : PATH;
  return { body: postbackJson(n, id, updated, registrations.length), path };
}

function postbackJson(n, id, updated, registrationCount) {
  return JSON.stringify({
    completedDate: null,
    course: { id: 'bench-course', title: 'Bench course', version: 0 },
    firstAccessDate: new Date(base - 60_000).toISOString(),
    id,
    instance: 0,
    lastAccessDate: updated,
    learner: { firstName: 'Bench', id: `learner-${n % registrationCount}`, lastName: 'Learner' },
    registrationCompletion: n % 7 === 0 ? 'COMPLETED' : 'INCOMPLETE',
    registrationSuccess: 'UNKNOWN',
    score: { scaled: n % 101 },
    totalSecondsTracked: n % 5000,
    updated,
  });
}

function load(url, registrations, seconds) {
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            headers: { authorization: BASIC, 'content-type': 'application/json' },
            method: 'POST',
            path: PATH,
            setupRequest: (req) => ({ ...req, ...postback(registrations) }),
          },
        ],
        url,
      },
      (error, result) => (error ? fail(error) : ok(result)),
    );
    instance.on('error', fail);
  });
}

function summary(result) {
  return {
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ok: result['2xx'],
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result['2xx'] / (result.duration || DURATION),
  };
}

/** Registrations the gateway knows, so every postback reaches the progress projection (not the unknown path). */
function registrationRows(count) {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => [
    `bench-reg-${i}-${randomUUID().slice(0, 8)}`,
    'bench-course',
    `learner-${i}`,
    'Bench',
    'Learner',
    'bench-ctx',
    'bench',
    0,
    now,
    now,
  ]);
}
/** A postback token like PostbackTokenService signs: RS256, iss = app id, aud scorm-postback, sub = registration. */
async function postbackToken(registrationId) {
  if (process.env.BENCH_TOKENS === '0') return undefined;
  privateKey ??= await importPKCS8(readFileSync(join(KEYS, 'scorm_private_key.pem'), 'utf8'), 'RS256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(APP_ID)
    .setSubject(registrationId)
    .setAudience('scorm-postback')
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(privateKey);
}
let privateKey;

const REGISTRATION_INSERT =
  'INSERT INTO scorm_registrations (id, course_id, learner_id, learner_first_name, learner_last_name, ' +
  'context_id, created_by, instance, created_at, updated_at) VALUES ';

async function runBare() {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', BARE_SERVER], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/`, child);
    const ids = [{ id: 'bare-reg', token: undefined }];
    await load(`http://127.0.0.1:${port}`, ids, WARMUP);
    return summary(await load(`http://127.0.0.1:${port}`, ids, DURATION));
  } finally {
    await stop(child);
  }
}

async function runGateway(kind) {
  const port = await freePort();
  let databaseUrl;
  let cleanup;
  let admin;
  let dbName;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
    databaseUrl = `sqlite:${join(dir, 'gateway.sqlite')}`;
    cleanup = async () => rmSync(dir, { force: true, recursive: true });
  } else {
    dbName = `gw_bench_${Date.now().toString(36)}`;
    admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
    cleanup = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    };
  }
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = startNode(GATEWAY_MAIN, gatewayEnv(port, databaseUrl), { cwd: ROOT, nodeArgs });
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health`, child);
    const rows = registrationRows(REGISTRATIONS);
    const stored = kind === 'sqlite' ? sqliteStore(databaseUrl) : await pgStore(databaseUrl);
    await stored.insertRegistrations(rows);
    // The URL SCORM Cloud posts to carries the registration's token, as ScormCloudService builds it.
    const ids = await Promise.all(rows.map(async ([id]) => ({ id, token: await postbackToken(id) })));
    const warm = summary(await load(`http://127.0.0.1:${port}`, ids, WARMUP));
    const result = summary(await load(`http://127.0.0.1:${port}`, ids, DURATION));
    // Requests still in flight when a run stops may commit without their answer being counted.
    await new Promise((r) => setTimeout(r, 500));
    const count = await stored.countEvents();
    const unknown = await stored.countUnknown();
    const verified = await stored.countTokenVerified();
    await stored.close();
    const expected = warm.ok + result.ok;
    const durable = count >= expected && count <= expected + 2 * CONNECTIONS;
    return { ...result, durable, expected, stored: count, unknown, verified };
  } finally {
    await stop(child);
    await cleanup();
  }
}

function sqliteStore(databaseUrl) {
  const db = new Database(databaseUrl.slice('sqlite:'.length));
  db.pragma('busy_timeout = 5000');
  return {
    close: async () => db.close(),
    countEvents: async () => db.prepare('SELECT COUNT(*) AS n FROM webhook_events').get().n,
    countUnknown: async () =>
      db.prepare('SELECT COUNT(*) AS n FROM webhook_events WHERE unknown_registration = 1').get().n,
    countTokenVerified: async () =>
      db.prepare('SELECT COUNT(*) AS n FROM webhook_events WHERE token_verified = 1').get().n,
    insertRegistrations: async (rows) => {
      const insert = db.prepare(`${REGISTRATION_INSERT}(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      db.transaction(() => rows.forEach((row) => insert.run(...row)))();
    },
  };
}

async function pgStore(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  return {
    close: () => client.end(),
    countEvents: async () => Number((await client.query('SELECT COUNT(*) AS n FROM webhook_events')).rows[0].n),
    countUnknown: async () =>
      Number((await client.query('SELECT COUNT(*) AS n FROM webhook_events WHERE unknown_registration')).rows[0].n),
    countTokenVerified: async () =>
      Number((await client.query('SELECT COUNT(*) AS n FROM webhook_events WHERE token_verified')).rows[0].n),
    insertRegistrations: async (rows) => {
      for (const row of rows) {
        await client.query(`${REGISTRATION_INSERT}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, row);
      }
    },
  };
}

const fmt = (n) => (Number.isFinite(n) ? n.toFixed(0).padStart(7) : '    n/a');

async function main() {
  if (TARGETS.some((t) => t !== 'bare') && !existsSync(GATEWAY_MAIN)) {
    throw new Error(`${GATEWAY_MAIN} is missing: run \`npx nest build api\` (npm run bench builds first)`);
  }
  console.log(`webhook postbacks: v2 JSON + Basic, ${CONNECTIONS} connections, ${DURATION} s (+${WARMUP} s warm-up)`);
  const results = {};
  const report = (label, r) =>
    console.log(
      `  ${label.padEnd(9)} ${fmt(r.rps)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  2xx ${r.ok}  non-2xx ${r.non2xx}  errors ${r.errors}` +
        (r.stored === undefined
          ? ''
          : `  stored ${r.stored}/${r.expected} ${r.durable ? 'OK' : 'MISMATCH'}  token-verified ${r.verified}  unknown ${r.unknown}`),
    );
  const gateways = TARGETS.filter((t) => t !== 'bare');
  // The machine is shared: the bare server runs before and after the gateways and its mean is the baseline.
  const bareRuns = [];
  if (TARGETS.includes('bare')) {
    bareRuns.push(await runBare());
    report('bare', bareRuns[0]);
  }
  for (const target of gateways) {
    results[target] = await runGateway(target);
    report(target, results[target]);
  }
  if (bareRuns.length && gateways.length) {
    bareRuns.push(await runBare());
    report('bare', bareRuns[1]);
  }
  if (bareRuns.length) {
    results.bare = { rps: bareRuns.reduce((sum, r) => sum + r.rps, 0) / bareRuns.length };
    console.log(`  bare mean ${fmt(results.bare.rps)} req/s`);
  }
  let failed = false;
  const bare = results.bare;
  for (const target of ['sqlite', 'postgres']) {
    const r = results[target];
    if (!r) continue;
    const ratio = bare ? r.rps / bare.rps : NaN;
    const p99ok = target !== 'sqlite' || r.p99 < P99_GOAL_MS;
    const met = ratio >= GOALS[target] && p99ok && r.durable && r.non2xx === 0;
    console.log(
      `  ${target.padEnd(9)} ratio ${ratio.toFixed(3)} of bare (goal >= ${GOALS[target]}` +
        `${target === 'sqlite' ? `, p99 < ${P99_GOAL_MS} ms` : ''}): ${met ? 'met' : 'NOT met'}`,
    );
    if (!r.durable || r.non2xx) failed = true;
  }
  // Missing a speed goal is reported, not fatal; a stored/answered mismatch is a durability bug and fails.
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
