#!/usr/bin/env node
/**
 * Event delivery to the LMS (libs/events), on SQLite and PostgreSQL, each figure measured in the same run:
 *
 *   ingest     postbacks/s and p99 at 32 connections (as `npm run bench -- webhook`) with the outbox on and no
 *              subscriber, with the outbox on and one subscriber being delivered to, and without the outbox. "Without"
 *              is the same build started with EVENT_OUTBOX=off (a bench-only setting production refuses): the
 *              projection then appends no events, everything else is the same code. Ratios: with / without.
 *   latency    postback-to-LMS: postbacks at a steady 1,000/s (paced(): one every millisecond) while a local receiver (its
 *              own process, verifying every delivery with `standardwebhooks`) notes when each event arrives; the
 *              latency of a postback is from its request being sent to its event's arrival (matched by the
 *              postback's unique `updated`, which the event carries). Goal p50 <= 50 ms, p99 <= 250 ms.
 *   throughput a backlog of events (postbacks sent while the subscription is disabled) delivered to one local
 *              receiver once it is enabled: events/s from enabling to the last arrival. Goal >= 2,000/s. Then the
 *              same over 4 registrations (a few learners' many events: the catch-up after an outage, where each
 *              registration's events go out as a chain), and its ratio to the spread backlog's rate.
 *
 * Run: `npm run bench -- events` (builds first) or `npx nest build api && node bench/events.bench.js`.
 * Env: BENCH_DURATION (s per ingest run, default 8), BENCH_LATENCY_SECONDS (10), BENCH_BACKLOG (10000),
 * BENCH_INGEST_ROUNDS (2: the ingest modes alternate that many times, figures are means), BENCH_ONLY (ingest,
 * latency or throughput: that part alone), BENCH_LOAD (wrk or autocannon for ingest),
 * BENCH_DATABASES (sqlite,postgres), PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
 */
const autocannon = require('autocannon');
const Database = require('better-sqlite3');
const { spawn } = require('node:child_process');
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');

const {
  API_KEY,
  BASIC,
  POSTBACK_PATH: PATH,
  REGISTRATION_INSERT,
  gatewayEnv,
  postbackToken,
  registrationRows,
} = require('./lib/postbacks');
const { GATEWAY_MAIN, ROOT, freePort, startNode, stop, waitUntilUp } = require('./lib/processes');
const { postbackTemplate, wrkAvailable, wrkLoad } = require('./lib/wrk');

const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const WARMUP = 2;
const INGEST_ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 2);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const CONNECTIONS = 32;
const REGISTRATIONS = 200;
/** The catch-up backlog: a few learners' many events (each registration's are sent as a chain). */
const FEW_REGISTRATIONS = 4;
const DATABASES = (process.env.BENCH_DATABASES ?? 'sqlite,postgres').split(',').map((d) => d.trim());
const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const GOALS = { ingestRatio: 0.9, p50: 50, p99: 250, throughput: 2000 };
/** Ingest is measured with wrk (bench/lib/wrk.js) where it runs, as the webhook bench; the fixed rate with autocannon. */
const USE_WRK = process.env.BENCH_LOAD !== 'autocannon' && wrkAvailable();

/** The LMS back end: verifies each delivery with standardwebhooks and notes its arrival time (ms, epoch). */
const RECEIVER = `
const { createServer } = require('node:http');
const { Webhook } = require(${JSON.stringify(require.resolve('standardwebhooks'))});
const webhook = new Webhook(process.env.SECRET);
const arrivals = [];
let refused = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ arrivals: req.url === '/arrivals' ? arrivals : [], count: arrivals.length, refused }));
    if (req.url === '/arrivals') arrivals.length = 0;
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const event = webhook.verify(body, req.headers);
      arrivals.push([req.headers['webhook-id'], event.data.updated ?? null, at]);
      res.statusCode = 204;
    } catch {
      refused++;
      res.statusCode = 401;
    }
    res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send && process.send('ready'));
`;

let sequence = 0;
const base = Date.now() - 24 * 3600_000;
/** Each request a new postback (a later `updated`, a new score), so each changes progress and announces it. */
function postback(registrations) {
  const n = sequence++;
  const { id, token } = registrations[n % registrations.length];
  const updated = new Date(base + n).toISOString();
  const body = JSON.stringify({
    course: { id: 'bench-course', title: 'Bench course', version: 0 },
    id,
    instance: 0,
    lastAccessDate: updated,
    learner: { firstName: 'Bench', id: `learner-${n % registrations.length}`, lastName: 'Learner' },
    registrationCompletion: 'INCOMPLETE',
    registrationSuccess: 'UNKNOWN',
    score: { scaled: n % 101 },
    totalSecondsTracked: n,
    updated,
  });
  return { body, path: `${PATH}?token=${token}`, updated };
}

/** postback()'s body as a template for wrk (bench/lib/wrk.js fills the markers per request). */
const POSTBACK_TEMPLATE = postbackTemplate({ registrationCompletion: 'INCOMPLETE' });

/** As many postbacks as the gateway takes at 32 connections: wrk where it runs, else autocannon. */
async function flood(url, registrations, seconds) {
  if (!USE_WRK) return summary(await load(url, registrations, seconds));
  const result = await wrkLoad({
    base,
    connections: CONNECTIONS,
    headers: { authorization: BASIC, 'content-type': 'application/json' },
    seconds,
    targets: registrations.map(({ id, token }) => ({ id, path: `${PATH}?token=${token}` })),
    template: POSTBACK_TEMPLATE,
    url,
  });
  return { ...result, errors: result.errors + result.non2xx };
}

/**
 * Postbacks at a steady `rate` for `seconds`: request i leaves at i / rate s (checked every millisecond, on up to 64
 * keep-alive connections), so the figure is the gateway's latency, not the generator's. autocannon's overallRate
 * sends each second's quota in a burst at the start of the second (seen in a trace of the gateway: ~700 ms without a
 * postback at 100/s), which at 1,000/s made every postback wait behind up to a thousand others.
 * `sent` (when given) notes each request's `updated` and send time. Answers { rps, p50, p99, errors }.
 */
function paced(url, registrations, seconds, rate, sent) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latencies = [];
  let ok = 0;
  let errors = 0;
  let issued = 0;
  let pending = 0;
  const total = Math.round(seconds * rate);
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
      resolve({ errors, p50: pct(50), p99: pct(99), rps: ok / ((performance.now() - started) / 1000) });
    };
    const send = () => {
      const next = postback(registrations);
      const at = performance.now();
      if (sent) sent.set(next.updated, performance.timeOrigin + at);
      pending++;
      const req = http.request(`${url}${next.path}`, {
        agent,
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        method: 'POST',
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else errors++;
          latencies.push(performance.now() - at);
          if (--pending === 0 && issued === total) finish();
        });
      });
      req.on('error', () => {
        errors++;
        if (--pending === 0 && issued === total) finish();
      });
      req.end(next.body);
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (issued < due) {
        issued++;
        send();
      }
      if (issued < total) setTimeout(tick, 1);
      else if (pending === 0) finish();
    };
    tick();
  });
}

/** autocannon against the postback route; `sent` (when given) notes each request's `updated` and send time. */
function load(url, registrations, seconds, { rate, sent } = {}) {
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        connections: CONNECTIONS,
        duration: seconds,
        ...(rate ? { overallRate: rate } : {}),
        requests: [
          {
            headers: { authorization: BASIC, 'content-type': 'application/json' },
            method: 'POST',
            path: PATH,
            setupRequest: (req) => {
              const next = postback(registrations);
              if (sent) sent.set(next.updated, performance.timeOrigin + performance.now());
              return { ...req, body: next.body, path: next.path };
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

const summary = (result) => ({
  errors: result.errors + result.timeouts + result.non2xx,
  p50: result.latency.p50,
  p99: result.latency.p99,
  rps: result['2xx'] / (result.duration || DURATION),
});

async function scratchDatabase(kind) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-events-'));
    const url = `sqlite:${join(dir, 'gateway.sqlite')}`;
    return {
      count: async (sql, params) => {
        const db = new Database(url.slice('sqlite:'.length), { readonly: true });
        try {
          return Number(db.prepare(sql.replace(/\$\d+/g, '?')).get(...params).n);
        } finally {
          db.close();
        }
      },
      drop: async () => rmSync(dir, { force: true, recursive: true }),
      insertRegistrations: async (rows) => {
        const db = new Database(url.slice('sqlite:'.length));
        db.pragma('busy_timeout = 5000');
        const insert = db.prepare(`${REGISTRATION_INSERT}(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
        db.transaction(() => rows.forEach((row) => insert.run(...row)))();
        db.close();
      },
      url,
    };
  }
  const name = `gw_bench_ev_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    count: async (sql, params) => {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return Number((await client.query(sql, params)).rows[0].n);
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
    insertRegistrations: async (rows) => {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      for (const row of rows)
        await client.query(`${REGISTRATION_INSERT}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, row);
      await client.end();
    },
    url: url.toString(),
  };
}

async function startReceiver() {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', RECEIVER], {
    env: { ...process.env, PORT: String(port), SECRET },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((ok, fail) => {
    child.once('message', ok);
    child.once('exit', (code) => fail(new Error(`receiver exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    arrivals: async () => (await (await fetch(`${url}/arrivals`)).json()).arrivals,
    child,
    count: async () => (await (await fetch(`${url}/count`)).json()).count,
    refused: async () => (await (await fetch(`${url}/count`)).json()).refused,
    url: `${url}/lms/webhooks`,
  };
}

/** A gateway on a fresh database with registrations it knows; `extra` env on top. */
async function startGateway(kind, extra, registrationCount = REGISTRATIONS) {
  const database = await scratchDatabase(kind);
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = startNode(GATEWAY_MAIN, gatewayEnv(port, database.url, extra), {
    cwd: ROOT,
    nodeArgs,
    stderr: process.env.TRACE_DELIVERY ? 'inherit' : 'capture',
  });
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health/ready`, child, 60_000);
    const rows = registrationRows(registrationCount);
    await database.insertRegistrations(rows);
    const registrations = await Promise.all(rows.map(async ([id]) => ({ id, token: await postbackToken(id) })));
    return {
      close: async () => {
        await stop(child);
        await database.drop();
      },
      count: database.count,
      cpuSeconds: () => cpuSeconds(child.pid),
      registrations,
      url: `http://127.0.0.1:${port}`,
    };
  } catch (error) {
    await stop(child);
    await database.drop();
    throw error;
  }
}

/** CPU time (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const declared = (receiver) =>
  JSON.stringify([{ event_types: ['*'], name: 'bench-lms', secret: SECRET, url: receiver.url }]);

async function ingest(kind, mode, receiver) {
  const extra =
    mode === 'without'
      ? { EVENT_OUTBOX: 'off' }
      : mode === 'delivering'
        ? { EVENT_SUBSCRIPTIONS: declared(receiver) }
        : {};
  const gateway = await startGateway(kind, extra);
  try {
    await flood(gateway.url, gateway.registrations, WARMUP);
    return await flood(gateway.url, gateway.registrations, DURATION);
  } finally {
    await gateway.close();
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function latency(kind, receiver) {
  const gateway = await startGateway(kind, { EVENT_SUBSCRIPTIONS: declared(receiver) });
  try {
    await paced(gateway.url, gateway.registrations, WARMUP, RATE);
    await new Promise((r) => setTimeout(r, 1000));
    await receiver.arrivals();
    const sent = new Map();
    const result = await paced(gateway.url, gateway.registrations, LATENCY_SECONDS, RATE, sent);
    await new Promise((r) => setTimeout(r, 2000));
    const arrivals = await receiver.arrivals();
    const first = new Map();
    for (const [id, updated, at] of arrivals) if (!first.has(id)) first.set(id, { at, updated });
    const latencies = [];
    for (const { at, updated } of first.values()) {
      const from = sent.get(updated);
      if (from !== undefined) latencies.push(at - from);
    }
    latencies.sort((a, b) => a - b);
    return {
      delivered: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      ackP50: result.p50,
      postbacks: result.rps,
      sent: sent.size,
    };
  } finally {
    await gateway.close();
  }
}

async function throughput(kind, receiver, registrationCount = REGISTRATIONS) {
  const gateway = await startGateway(kind, { EVENT_DELIVERY_POLL_MS: '500' }, registrationCount);
  const admin = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  try {
    const created = await (
      await fetch(`${gateway.url}/api/v1/event-subscriptions`, {
        body: JSON.stringify({ url: receiver.url }),
        headers: admin,
        method: 'POST',
      })
    ).json();
    // The bench receiver verifies with the bench secret; rotate is not needed: a fresh receiver per run verifies
    // with the created secret.
    const own = await startReceiverWith(created.secret);
    await fetch(`${gateway.url}/api/v1/event-subscriptions/${created.id}`, {
      body: JSON.stringify({ url: own.url }),
      headers: admin,
      method: 'PATCH',
    });
    await fetch(`${gateway.url}/api/v1/event-subscriptions/${created.id}/disable`, { headers: admin, method: 'POST' });
    // The backlog: postbacks at full speed until the outbox holds BACKLOG events for the disabled endpoint.
    const sentBefore = sequence;
    while (sequence - sentBefore < BACKLOG) await load(gateway.url, gateway.registrations, 2);
    // Counted before the clock starts: paging the delivery log meanwhile would take the gateway's CPU from delivery.
    await new Promise((r) => setTimeout(r, 500));
    const expected = await gateway.count(BACKLOG_SQL, [created.id]);
    const started = performance.now();
    const cpuBefore = gateway.cpuSeconds();
    await fetch(`${gateway.url}/api/v1/event-subscriptions/${created.id}/enable`, { headers: admin, method: 'POST' });
    let delivered = 0;
    const until = Date.now() + 300_000;
    while ((delivered = await own.count()) < expected && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    const cpu = gateway.cpuSeconds() - cpuBefore;
    const refused = await own.refused();
    own.child.kill();
    return {
      cpuPerEventMs: (cpu * 1000) / delivered,
      delivered,
      eventsPerSecond: delivered / seconds,
      expected,
      refused,
      seconds,
    };
  } finally {
    await gateway.close();
  }
}

async function startReceiverWith(secret) {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', RECEIVER], {
    env: { ...process.env, PORT: String(port), SECRET: secret },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((ok) => child.once('message', ok));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    count: async () => (await (await fetch(`${url}/count`)).json()).count,
    refused: async () => (await (await fetch(`${url}/count`)).json()).refused,
    url: `${url}/lms/webhooks`,
  };
}

/** How many deliveries the enabled endpoint owes: its whole backlog, counted once fan-out has caught up. */
/** The events the subscription has yet to receive (after its cursor), counted in the database before it is enabled. */
const BACKLOG_SQL =
  'SELECT COUNT(*) AS n FROM events WHERE seq > (SELECT cursor_seq FROM event_subscriptions WHERE id = $1)';

/** The mean of each figure over several runs of one mode (p99: the worst run's). */
const mean = (runs) => ({
  errors: runs.reduce((sum, r) => sum + r.errors, 0),
  p50: runs.reduce((sum, r) => sum + r.p50, 0) / runs.length,
  p99: Math.max(...runs.map((r) => r.p99)),
  rps: runs.reduce((sum, r) => sum + r.rps, 0) / runs.length,
});
/** The same backlog over a few registrations, against the spread one's rate (no goal: chains keep it close). */
function catchUp(few, spread) {
  console.log(
    `  catch-up, ${FEW_REGISTRATIONS} registrations' backlog: ${f(few.eventsPerSecond)} events/s ` +
      `(${few.delivered}/${few.expected} in ${f(few.seconds, 1)} s), ${f(few.eventsPerSecond / spread.eventsPerSecond, 2)}x ` +
      `the ${REGISTRATIONS} registrations' rate`,
  );
}
const f = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mark = (ok) => (ok ? 'met' : 'NOT met');

async function main() {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run \`npx nest build api\``);
  const receiver = await startReceiver();
  try {
    for (const kind of DATABASES) {
      console.log(
        `\n== ${kind}, ingest load from ${USE_WRK ? 'wrk' : 'autocannon'} (load average ${require('node:os')
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} on ${require('node:os').cpus().length} CPUs)`,
      );
      if (process.env.BENCH_ONLY === 'latency') {
        const lat = await latency(kind, receiver);
        console.log(
          `latency at ${RATE}/s (${f(lat.postbacks)} acknowledged/s, ${lat.delivered}/${lat.sent} matched): ` +
            `p50 ${f(lat.p50, 1)} ms, p99 ${f(lat.p99, 1)} ms (the postbacks' own answer: p50 ${f(lat.ackP50, 1)} ms)`,
        );
        continue;
      }
      if (process.env.BENCH_ONLY === 'throughput') {
        const thr = await throughput(kind, receiver);
        console.log(
          `throughput ${f(thr.eventsPerSecond)} events/s (${thr.delivered}/${thr.expected} in ${f(thr.seconds, 1)} s, gateway CPU ${f(thr.cpuPerEventMs, 2)} ms/event)`,
        );
        catchUp(await throughput(kind, receiver, FEW_REGISTRATIONS), thr);
        continue;
      }
      // The three modes alternate, INGEST_ROUNDS times, and each figure is their mean: a machine whose load drifts
      // during the run then weighs on every mode alike.
      const runs = { delivering: [], outbox: [], without: [] };
      for (let round = 0; round < INGEST_ROUNDS; round++) {
        runs.without.push(await ingest(kind, 'without'));
        runs.outbox.push(await ingest(kind, 'outbox'));
        runs.delivering.push(await ingest(kind, 'delivering', receiver));
        await receiver.arrivals();
      }
      const [without, quiet, delivering] = [runs.without, runs.outbox, runs.delivering].map(mean);
      const row = (name, r) =>
        console.log(
          `ingest ${name.padEnd(28)} ${f(r.rps).padStart(6)} postbacks/s  p50 ${f(r.p50)} ms  p99 ${f(r.p99)} ms` +
            (r.errors ? `  errors ${r.errors}` : ''),
        );
      row('without the outbox', without);
      row('outbox, no subscriber', quiet);
      row('outbox, 1 subscriber delivering', delivering);
      if (process.env.BENCH_ONLY === 'ingest') {
        console.log(
          `  (runs: ${Object.entries(runs)
            .map(([m, r]) => `${m} ${r.map((x) => f(x.rps)).join('/')}`)
            .join(', ')})`,
        );
      }
      const ratioQuiet = quiet.rps / without.rps;
      const ratioDelivering = delivering.rps / without.rps;
      console.log(
        `ingest ratio outbox/without: ${f(ratioQuiet, 2)}x (no subscriber), ${f(ratioDelivering, 2)}x (delivering); ` +
          `goal >= ${GOALS.ingestRatio}x: ${mark(ratioQuiet >= GOALS.ingestRatio)} / ${mark(ratioDelivering >= GOALS.ingestRatio)}`,
      );
      if (process.env.BENCH_ONLY === 'ingest') continue;
      const lat = await latency(kind, receiver);
      console.log(
        `postback-to-LMS latency at ${RATE} postbacks/s (${f(lat.postbacks)} acknowledged/s, ${lat.delivered} of ` +
          `${lat.sent} matched): p50 ${f(lat.p50, 1)} ms, p99 ${f(lat.p99, 1)} ms (the postbacks' own answer: p50 ` +
          `${f(lat.ackP50, 1)} ms); goal p50 <= ${GOALS.p50}, ` +
          `p99 <= ${GOALS.p99}: ${mark(lat.p50 <= GOALS.p50 && lat.p99 <= GOALS.p99)}`,
      );
      const thr = await throughput(kind, receiver);
      console.log(
        `delivery throughput to one receiver: ${f(thr.eventsPerSecond)} events/s (${thr.delivered}/${thr.expected} ` +
          `in ${f(thr.seconds, 1)} s, refused ${thr.refused}); goal >= ${GOALS.throughput}: ` +
          mark(thr.eventsPerSecond >= GOALS.throughput),
      );
      catchUp(await throughput(kind, receiver, FEW_REGISTRATIONS), thr);
    }
  } finally {
    receiver.child.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
