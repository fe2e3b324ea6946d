#!/usr/bin/env node
/**
 * Sustained SCORM Cloud postbacks per second and p99 latency at 32 connections, v2 JSON shape with HTTP Basic
 * to each registration's own postback URL (with its token), a unique `updated` per request so every one is a
 * new postback that must be durably stored and applied to a registration the gateway knows.
 *
 * Targets, each a separate child process on a free loopback port, measured in the same run:
 *   bare        node:http that reads and JSON.parses the body, stores nothing (the ceiling)
 *   fastapi     seed 000's FastAPI receiver as the guide writes it (bench/fastapi-receiver.py without a database:
 *               CORS, print, echo, nothing stored), on plain uvicorn (asyncio, h11) with one worker, as the guide's
 *               `pip install fastapi uvicorn` and Debian's python3-uvicorn run it: the issues' peer
 *   fastapi-sqlite  the same receiver storing each postback in SQLite (WAL, synchronous=NORMAL: the gateway's
 *               SQLite durability), for context
 *   fastapi-pg  the same storing each postback in PostgreSQL with psycopg (the gateway's PG durability), for context
 *   sqlite      the built gateway on a temp SQLite file (the default database)
 *   postgres    the built gateway on a scratch PostgreSQL database (CREATE/DROP on PG_ADMIN_URL)
 *   postgres-2, postgres-3   the same with WEB_CONCURRENCY=2 or 3: that many gateway processes on one database
 * After each run the stored rows are counted: they must equal the 2xx answers. On PostgreSQL the run also counts,
 * per postback, the round trips and statements the gateway sent (bench/lib/pg-counter.js, preloaded) and the
 * commits and rows written that the server recorded (pg_stat_database of the scratch database).
 *
 * Load: wrk (Debian's package, bench/lib/wrk.js) with 2 threads, as the issues measured; autocannon where wrk is
 * missing (it runs in this process and takes CPU from the servers, so the figures are lower; the bench says which).
 * Goals against seed 000's receiver (`fastapi`), same run: the gateway on SQLite at least 2.0x it at p99 <= 25 ms
 * (issue 11), one gateway on PostgreSQL at least 1.5x it at p99 <= 50 ms (issue 12).
 *
 * Run: `npm run bench -- webhook` (builds first) or `npx nest build api && node bench/webhook.bench.js`.
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (32),
 * BENCH_TARGETS (bare,sqlite,fastapi,postgres,fastapi-sqlite,fastapi-pg,postgres-2,postgres-3), BENCH_REGISTRATIONS (200),
 * BENCH_TOKENS (1: postback URLs carry the per-registration token; 0: credentials only), BENCH_NODE_ARGS (e.g.
 * --cpu-prof for the gateway), BENCH_PYTHON (/usr/bin/python3), PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
 * BENCH_LOAD (wrk or autocannon). The FastAPI peers need Debian's python3-fastapi, python3-uvicorn and python3-psycopg-pool; as root the bench
 * installs them with apt-get when missing, otherwise it says so and leaves those peers out.
 */
const autocannon = require('autocannon');
const Database = require('better-sqlite3');
const { spawn, spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');

const {
  BASIC,
  POSTBACK_PATH: PATH,
  REGISTRATION_INSERT,
  gatewayEnv,
  postbackToken,
  registrationRows,
} = require('./lib/postbacks');
const { postbackTemplate, wrkAvailable, wrkLoad } = require('./lib/wrk');
const { GATEWAY_MAIN, ROOT, freePort, startNode, stop, waitUntilUp } = require('./lib/processes');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Math.max(1, Math.round(DURATION / 5));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 200);
const TARGETS = (
  process.env.BENCH_TARGETS ?? 'bare,sqlite,fastapi,postgres,fastapi-sqlite,fastapi-pg,postgres-2,postgres-3'
)
  .split(',')
  .map((t) => t.trim());
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const FASTAPI_PACKAGES = ['python3-fastapi', 'python3-uvicorn', 'python3-psycopg-pool'];
const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const GOALS = { postgres: 0.1, sqlite: 0.2 };
const P99_GOAL_MS = 25;
/** Against seed 000's receiver (`fastapi`): the gateway on SQLite (issue 11) and one gateway on PostgreSQL (issue 12). */
const PEER_GOALS = {
  postgres: { p99: 50, ratio: 1.5 },
  sqlite: { p99: 25, ratio: 2.0 },
};
const USE_WRK = process.env.BENCH_LOAD !== 'autocannon' && wrkAvailable();

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

/** postbackJson's body as a template for wrk (bench/lib/wrk.js fills the markers per request). */
const POSTBACK_TEMPLATE = postbackTemplate({
  completedDate: null,
  firstAccessDate: new Date(base - 60_000).toISOString(),
});

async function load(url, registrations, seconds, path = PATH) {
  if (USE_WRK) {
    return wrkLoad({
      base,
      connections: CONNECTIONS,
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      seconds,
      targets: registrations.map(({ id, token }) => ({
        id,
        path: path === PATH && token ? `${PATH}?token=${token}` : path,
      })),
      template: POSTBACK_TEMPLATE,
      url,
    });
  }
  return summary(await autocannonLoad(url, registrations, seconds, path));
}

function autocannonLoad(url, registrations, seconds, path) {
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            headers: { authorization: BASIC, 'content-type': 'application/json' },
            method: 'POST',
            path,
            setupRequest: (req) => {
              const next = postback(registrations);
              return { ...req, body: next.body, path: path === PATH ? next.path : path };
            },
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

/** A postback token, unless the run measures postbacks without one (BENCH_TOKENS=0). */
async function tokenFor(registrationId) {
  return process.env.BENCH_TOKENS === '0' ? undefined : postbackToken(registrationId);
}

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
    return await load(`http://127.0.0.1:${port}`, ids, DURATION);
  } finally {
    await stop(child);
  }
}

/** Checks (and as root installs) the Debian packages the FastAPI peers need; false when they cannot run. */
function fastapiAvailable() {
  const probe = () =>
    spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, psycopg_pool'], { stdio: 'ignore' }).status === 0;
  if (probe()) return true;
  if (process.getuid?.() !== 0) {
    console.log(`  fastapi peers left out: ${PYTHON} lacks them (apt-get install ${FASTAPI_PACKAGES.join(' ')})`);
    return false;
  }
  console.log(`  installing the FastAPI peers' Debian packages: apt-get install ${FASTAPI_PACKAGES.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-qq', ...FASTAPI_PACKAGES], { env, stdio: 'ignore' });
  if (probe()) return true;
  console.log('  fastapi peers left out: the apt-get install failed');
  return false;
}

async function scratchPostgres() {
  const dbName = `gw_bench_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  return {
    admin,
    dbName,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    },
    url: url.toString(),
  };
}

/** Transactions committed and rows written in the database, as the server counts them. */
async function serverCounters(pg) {
  await new Promise((r) => setTimeout(r, 1200)); // the server publishes its statistics about once a second
  await pg.admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await pg.admin.query(
    'SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS rows_written FROM pg_stat_database WHERE datname = $1',
    [pg.dbName],
  );
  return { commits: Number(rows[0].xact_commit), rowsWritten: Number(rows[0].rows_written) };
}

/** The round trips and statements the gateway's processes have sent so far (bench/lib/pg-counter.js). */
function clientCounters(dir) {
  const sum = { roundTrips: 0, statements: 0 };
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const counts = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    sum.roundTrips += counts.roundTrips;
    sum.statements += counts.statements;
  }
  return sum;
}

async function runFastapi(kind) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-fastapi-'));
  const pg = kind === 'fastapi-pg' ? await scratchPostgres() : undefined;
  const database = { fastapi: '', 'fastapi-pg': pg?.url, 'fastapi-sqlite': `sqlite:${join(dir, 'results.sqlite')}` }[
    kind
  ];
  const child = spawn(
    PYTHON,
    [
      ...['-m', 'uvicorn', 'fastapi-receiver:app', '--loop', 'asyncio', '--http', 'h11'],
      ...['--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning', '--no-access-log'],
    ],
    { cwd: __dirname, env: { ...process.env, RECEIVER_DATABASE: database }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/api/results`, child);
    const ids = [{ id: 'fastapi-reg', token: undefined }];
    const warm = await load(`http://127.0.0.1:${port}`, ids, WARMUP, '/api/results');
    const result = await load(`http://127.0.0.1:${port}`, ids, DURATION, '/api/results');
    // The guide's receiver stores nothing: there is nothing to count.
    if (!database) return { ...result, durable: true };
    await new Promise((r) => setTimeout(r, 500));
    const count = (await (await fetch(`http://127.0.0.1:${port}/api/results/count`)).json()).count;
    const expected = warm.ok + result.ok;
    const durable = count >= expected && count <= expected + 2 * CONNECTIONS;
    return { ...result, durable, expected, stored: count };
  } finally {
    await stop(child);
    await pg?.drop();
    rmSync(dir, { force: true, recursive: true });
  }
}

async function runGateway(target) {
  const [kind, processes = '1'] = target.split('-');
  const port = await freePort();
  let databaseUrl;
  let cleanup;
  let pg;
  const statsDir = mkdtempSync(join(tmpdir(), 'gw-bench-pgstats-'));
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
    databaseUrl = `sqlite:${join(dir, 'gateway.sqlite')}`;
    cleanup = async () => rmSync(dir, { force: true, recursive: true });
  } else {
    pg = await scratchPostgres();
    databaseUrl = pg.url;
    cleanup = pg.drop;
  }
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (pg) nodeArgs.unshift('-r', join(__dirname, 'lib/pg-counter.js'));
  const env = { ...gatewayEnv(port, databaseUrl), BENCH_PG_STATS_DIR: statsDir, WEB_CONCURRENCY: processes };
  const child = startNode(GATEWAY_MAIN, env, { cwd: ROOT, nodeArgs });
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health/ready`, child, 60_000);
    // With several workers the first answers before the others listen; give those their start-up too.
    if (processes !== '1') await new Promise((r) => setTimeout(r, 5000));
    const rows = registrationRows(REGISTRATIONS);
    const stored = kind === 'sqlite' ? sqliteStore(databaseUrl) : await pgStore(databaseUrl);
    await stored.insertRegistrations(rows);
    // The URL SCORM Cloud posts to carries the registration's token, as ScormCloudService builds it.
    const ids = await Promise.all(rows.map(async ([id]) => ({ id, token: await tokenFor(id) })));
    const before = pg && { client: clientCounters(statsDir), server: await serverCounters(pg) };
    const warm = await load(`http://127.0.0.1:${port}`, ids, WARMUP);
    const result = await load(`http://127.0.0.1:${port}`, ids, DURATION);
    // Requests still in flight when a run stops may commit without their answer being counted.
    await new Promise((r) => setTimeout(r, 500));
    const count = await stored.countEvents();
    const unknown = await stored.countUnknown();
    const verified = await stored.countTokenVerified();
    await stored.close();
    const expected = warm.ok + result.ok;
    const durable = count >= expected && count <= expected + 2 * CONNECTIONS;
    let perPostback;
    if (pg) {
      const server = await serverCounters(pg);
      const client = clientCounters(statsDir);
      // The bench's own reads and registration inserts are a few commits against tens of thousands.
      perPostback = {
        commits: (server.commits - before.server.commits) / count,
        roundTrips: (client.roundTrips - before.client.roundTrips) / count,
        rowsWritten: (server.rowsWritten - before.server.rowsWritten) / count,
        statements: (client.statements - before.client.statements) / count,
      };
    }
    return { ...result, durable, expected, perPostback, stored: count, unknown, verified };
  } finally {
    await stop(child);
    await cleanup();
    rmSync(statsDir, { force: true, recursive: true });
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
  if (TARGETS.some((t) => t !== 'bare' && !t.startsWith('fastapi')) && !existsSync(GATEWAY_MAIN)) {
    throw new Error(`${GATEWAY_MAIN} is missing: run \`npx nest build api\` (npm run bench builds first)`);
  }
  console.log(
    `webhook postbacks: v2 JSON + Basic, ${CONNECTIONS} connections, ${DURATION} s (+${WARMUP} s warm-up), ` +
      `load from ${USE_WRK ? 'wrk (2 threads)' : 'autocannon (in this process: wrk is missing)'}`,
  );
  const results = {};
  const report = (label, r) =>
    console.log(
      `  ${label.padEnd(10)} ${fmt(r.rps)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  2xx ${r.ok}  non-2xx ${r.non2xx}  errors ${r.errors}` +
        (r.stored === undefined ? '' : `  stored ${r.stored}/${r.expected} ${r.durable ? 'OK' : 'MISMATCH'}`) +
        (r.verified === undefined ? '' : `  token-verified ${r.verified}  unknown ${r.unknown}`) +
        (r.perPostback
          ? `\n  ${''.padEnd(10)} per postback: ${r.perPostback.roundTrips.toFixed(2)} round trips, ` +
            `${r.perPostback.statements.toFixed(2)} statements, ${r.perPostback.commits.toFixed(3)} commits, ` +
            `${r.perPostback.rowsWritten.toFixed(2)} rows written`
          : ''),
    );
  const fastapi = TARGETS.some((t) => t.startsWith('fastapi')) && fastapiAvailable();
  const runs = TARGETS.filter((t) => t !== 'bare' && (fastapi || !t.startsWith('fastapi')));
  // The machine is shared: the bare server runs before and after the others and its mean is the baseline.
  const bareRuns = [];
  if (TARGETS.includes('bare')) {
    bareRuns.push(await runBare());
    report('bare', bareRuns[0]);
  }
  for (const target of runs) {
    results[target] = target.startsWith('fastapi') ? await runFastapi(target) : await runGateway(target);
    report(target, results[target]);
  }
  if (bareRuns.length && runs.length) {
    bareRuns.push(await runBare());
    report('bare', bareRuns[1]);
  }
  if (bareRuns.length) {
    results.bare = { rps: bareRuns.reduce((sum, r) => sum + r.rps, 0) / bareRuns.length };
    console.log(`  bare mean ${fmt(results.bare.rps)} req/s`);
  }
  let failed = false;
  const bare = results.bare;
  const peers = ['fastapi', 'fastapi-sqlite', 'fastapi-pg'].filter((peer) => results[peer]);
  for (const target of runs) {
    const r = results[target];
    if (!r.durable || r.non2xx) failed = true;
    const ratios = [
      bare ? `${(r.rps / bare.rps).toFixed(3)} of bare` : undefined,
      ...peers.filter((p) => p !== target).map((p) => `${(r.rps / results[p].rps).toFixed(2)}x ${p}`),
    ].filter(Boolean);
    const goal = GOALS[target];
    const p99ok = target !== 'sqlite' || r.p99 < P99_GOAL_MS;
    const verdict = goal
      ? `  (goal >= ${goal} of bare${target === 'sqlite' ? `, p99 < ${P99_GOAL_MS} ms` : ''}: ` +
        `${bare && r.rps / bare.rps >= goal && p99ok && r.durable && r.non2xx === 0 ? 'met' : 'NOT met'})`
      : '';
    console.log(`  ${target.padEnd(10)} ${ratios.join(', ')}${verdict}`);
  }
  for (const [target, goal] of Object.entries(PEER_GOALS)) {
    if (!results[target] || !results.fastapi) continue;
    const r = results[target];
    const ratio = r.rps / results.fastapi.rps;
    const met = ratio >= goal.ratio && r.p99 <= goal.p99 && r.durable && r.non2xx === 0;
    console.log(
      `  ${target} vs seed 000's FastAPI receiver: ${ratio.toFixed(2)}x, p99 ${r.p99} ms ` +
        `(goal >= ${goal.ratio}x at p99 <= ${goal.p99} ms): ${met ? 'met' : 'NOT met'}`,
    );
  }
  const scaling = ['postgres', 'postgres-2', 'postgres-3'].filter((t) => results[t]);
  if (scaling.length > 1) {
    console.log(
      `  scaling on one PostgreSQL: ${scaling.map((t) => `${t} ${(results[t].rps / results.postgres.rps).toFixed(2)}x`).join(', ')}`,
    );
  }
  // Missing a speed goal is reported, not fatal; a stored/answered mismatch is a durability bug and fails.
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
