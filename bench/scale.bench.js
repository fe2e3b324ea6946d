#!/usr/bin/env node
/**
 * The gateway with many stored postbacks: list latency, ingest against an empty store, bytes per postback.
 *
 * For each database (a scratch PostgreSQL database on PG_ADMIN_URL, then a temp SQLite file): the built gateway
 * migrates it, stops, the store is seeded in bulk with SQL (generate_series on PostgreSQL, a recursive CTE on
 * SQLite; secondary indexes dropped during the PostgreSQL load and rebuilt), and the gateway starts again on it.
 * Then, over HTTP with the admin API key, p50/p99 of `GET /api/v1/webhooks/events` for: the newest page, one
 * registration's page, a cursor at 90% depth, a learner, a course, the rare `stale` outcome and one day's time
 * range, each with its query plan (EXPLAIN / EXPLAIN QUERY PLAN of the statement the repository sends). Then
 * postbacks/s at 32 connections into the big store against a fresh empty one (same registrations), as a ratio, and
 * the database bytes per stored postback (table and indexes; with and without the raw body).
 * On PostgreSQL it also measures native types: a copy of the table with `uuid` and `timestamptz` columns and the
 * same indexes, index sizes and direct query latency side by side (measured, not adopted: see README).
 *
 * Goals (issue 13): every list p50 <= 10 ms; ingest on the big store >= 0.9x the empty one.
 *
 * Run: `npm run bench -- scale`. Env: SCALE_PG_ROWS (10000000), SCALE_SQLITE_ROWS (1000000), SCALE_REQUESTS per
 * list (200), SCALE_INGEST_SECONDS (10), SCALE_CONNECTIONS (32), SCALE_TARGETS (postgres,sqlite), SCALE_NATIVE (1),
 * SCALE_PRUNE (1: on SQLite, prune half the bodies with the retention job while ingesting, then measure the file),
 * PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
 */
const autocannon = require('autocannon');
const Database = require('better-sqlite3');
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');

const { API_KEY, BASIC, gatewayEnv } = require('./lib/postbacks');
const { GATEWAY_MAIN, ROOT, freePort, startNode, stop, waitUntilUp } = require('./lib/processes');

const PG_ROWS = Number(process.env.SCALE_PG_ROWS ?? 10_000_000);
const SQLITE_ROWS = Number(process.env.SCALE_SQLITE_ROWS ?? 1_000_000);
const REQUESTS = Number(process.env.SCALE_REQUESTS ?? 200);
const INGEST_SECONDS = Number(process.env.SCALE_INGEST_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.SCALE_CONNECTIONS ?? 32);
const TARGETS = (process.env.SCALE_TARGETS ?? 'postgres,sqlite').split(',').map((t) => t.trim());
const NATIVE = process.env.SCALE_NATIVE !== '0';
const PRUNE = process.env.SCALE_PRUNE !== '0';
const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY_MS = 86_400_000;
/** Seeded postbacks spread over the last 60 days (retention is off in the bench anyway). */
const SPAN_MS = 60 * DAY_MS;
const COURSES = 100;
const P50_GOAL_MS = 10;
const INGEST_GOAL = 0.9;

const registrationsFor = (rows) => Math.max(100, Math.round(rows / 500));

async function startGateway(databaseUrl, extraEnv = {}) {
  const port = await freePort();
  const env = gatewayEnv(port, databaseUrl, { RETENTION_INTERVAL_MS: '0', ...extraEnv });
  const child = startNode(GATEWAY_MAIN, env, { cwd: ROOT, stderr: 'capture' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${url}/health`, child, 600_000);
  return { child, url };
}

/** The body a v2 postback (COURSE results format) stores, about 560 bytes. */
const BODY_TEMPLATE =
  '{"id":"%REG%","instance":0,"updated":"%TS%","registrationCompletion":"COMPLETED","registrationSuccess":"PASSED",' +
  '"registrationCompletionAmount":1,"score":{"scaled":85},"totalSecondsTracked":342,"firstAccessDate":"%TS%",' +
  '"lastAccessDate":"%TS%","completedDate":"%TS%","createdDate":"%TS%","course":{"id":"scale-course","title":' +
  '"Workplace safety basics","version":0},"learner":{"id":"scale-learner","firstName":"Aino","lastName":"Virtanen"},' +
  '"activityDetails":{"id":"act-1","title":"Workplace safety basics","activityCompletion":"COMPLETED",' +
  '"activitySuccess":"PASSED","timeTracked":"0000:05:42","attempts":1,"suspended":false},"postBack":{"password":"[Redacted]"}}';

// ---------------------------------------------------------------- seeding

async function seedPostgres(url, rows) {
  const client = new Client({ connectionString: url });
  await client.connect();
  const regs = registrationsFor(rows);
  const started = Date.now();
  await client.query(
    'INSERT INTO scorm_registrations (id, course_id, learner_id, learner_first_name, learner_last_name, context_id, ' +
      'created_by, instance, created_at, updated_at) ' +
      "SELECT 'scale-reg-' || r, 'scale-course-' || (r % $2), 'scale-learner-' || (r % ($1 / 2)), 'Aino', " +
      "'Virtanen', 'ctx', 'bench', 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' " +
      'FROM generate_series(0, $1 - 1) r',
    [regs, COURSES],
  );
  // Bulk load without the secondary indexes, then build them once (what a restore does).
  await client.query(
    'DROP INDEX "UQ_webhook_events_dedup_key", "IDX_webhook_events_registration", "IDX_webhook_events_outcome", ' +
      '"IDX_webhook_events_learner", "IDX_webhook_events_course"',
  );
  const chunk = 1_000_000;
  const start = Date.now() - SPAN_MS - 60_000;
  const step = SPAN_MS / rows;
  const template = BODY_TEMPLATE.replace(/%REG%/g, '%1$s').replace(/%TS%/g, '%2$s');
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk) - 1;
    await client.query(
      `INSERT INTO webhook_events (id, received_at, shape, method, content_type, raw_body, body_hash, dedup_key,
         registration_id, instance, progress_updated_at, completion, success, score, total_seconds, first_access_at,
         last_access_at, completed_at, auth_method, token_verified, outcome, unknown_registration, learner_id,
         course_id)
       SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || lpad(to_hex(n % 4096), 3, '0') || '-8' ||
           substr(m, 1, 3) || '-' || substr(m, 4, 12),
         ts, 'v2_json', 'POST', 'application/json', format($5, reg, ts), m || m, '0|' || ts || '|' || reg, reg, 0, ts,
         'COMPLETED', 'PASSED', 85, 342, ts, ts, ts, 'basic', false,
         CASE WHEN n % 50 = 0 THEN 'stale' ELSE 'applied' END, false,
         'scale-learner-' || (n % $4) % ($4 / 2), 'scale-course-' || (n % $4) % $7
       FROM (SELECT n, md5(n::text) AS m, 'scale-reg-' || (n % $4) AS reg,
               lpad(to_hex(($3::float8 + n * $6::float8)::bigint), 12, '0') AS h,
               to_char(to_timestamp(($3::float8 + n * $6::float8) / 1000) AT TIME ZONE 'UTC',
                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts
             FROM generate_series($1::bigint, $2::bigint) n) s`,
      [from, to, start, regs, template, step, COURSES],
    );
    process.stdout.write(`  seeded ${to + 1} rows (${Math.round((Date.now() - started) / 1000)} s)\n`);
  }
  await client.query('CREATE UNIQUE INDEX "UQ_webhook_events_dedup_key" ON webhook_events (dedup_key)');
  await client.query('CREATE INDEX "IDX_webhook_events_registration" ON webhook_events (registration_id, id)');
  await client.query(
    `CREATE INDEX "IDX_webhook_events_outcome" ON webhook_events (outcome, id) WHERE outcome <> 'applied'`,
  );
  await client.query('CREATE INDEX "IDX_webhook_events_learner" ON webhook_events (learner_id, id)');
  await client.query('CREATE INDEX "IDX_webhook_events_course" ON webhook_events (course_id, id)');
  await client.query('VACUUM ANALYZE webhook_events');
  await client.query('ANALYZE scorm_registrations');
  // The seeding's dirty pages written now, not by a spread checkpoint during the big store's measurements.
  await client.query('CHECKPOINT');
  console.log(`  seeded ${rows} postbacks, ${regs} registrations in ${Math.round((Date.now() - started) / 1000)} s`);
  await client.end();
}

function seedSqlite(file, rows) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const regs = registrationsFor(rows);
  const started = Date.now();
  db.prepare(
    `WITH RECURSIVE s(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM s WHERE r < ?)
     INSERT INTO scorm_registrations (id, course_id, learner_id, learner_first_name, learner_last_name, context_id,
       created_by, instance, created_at, updated_at)
     SELECT 'scale-reg-' || r, 'scale-course-' || (r % CAST(? AS INTEGER)),
       'scale-learner-' || (r % CAST(? / 2 AS INTEGER)), 'Aino', 'Virtanen',
       'ctx', 'bench', 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM s`,
  ).run(regs - 1, COURSES, regs);
  const start = Date.now() - SPAN_MS - 60_000;
  const step = SPAN_MS / rows;
  const body = BODY_TEMPLATE.split('%REG%')
    .map((part) =>
      part
        .split('%TS%')
        .map((p) => `'${p}'`)
        .join(' || ts || '),
    )
    .join(' || reg || ');
  const chunk = 250_000;
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk) - 1;
    db.prepare(
      `WITH RECURSIVE s(n) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT n + 1 FROM s WHERE n < ?)
       INSERT INTO webhook_events (id, received_at, shape, method, content_type, raw_body, body_hash, dedup_key,
         registration_id, instance, progress_updated_at, completion, success, score, total_seconds, first_access_at,
         last_access_at, completed_at, auth_method, token_verified, outcome, unknown_registration, learner_id,
         course_id)
       SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || printf('%03x', n % 4096) || '-8' ||
           substr(m, 1, 3) || '-' || substr(m, 4, 12),
         ts, 'v2_json', 'POST', 'application/json', ${body}, m || m || m, '0|' || ts || '|' || reg, reg, 0, ts,
         'COMPLETED', 'PASSED', 85, 342, ts, ts, ts, 'basic', 0,
         CASE WHEN n % 50 = 0 THEN 'stale' ELSE 'applied' END, 0,
         'scale-learner-' || (r % CAST(? / 2 AS INTEGER)), 'scale-course-' || (r % CAST(? AS INTEGER))
       FROM (SELECT n, n % CAST(? AS INTEGER) AS r, lower(hex(randomblob(11))) AS m,
               'scale-reg-' || (n % CAST(? AS INTEGER)) AS reg,
               printf('%012x', CAST(? + n * ? AS INTEGER)) AS h,
               strftime('%Y-%m-%dT%H:%M:%fZ', (? + n * ?) / 1000.0, 'unixepoch') AS ts FROM s)`,
    ).run(from, to, regs, COURSES, regs, regs, start, step, start, step);
    process.stdout.write(`  seeded ${to + 1} rows (${Math.round((Date.now() - started) / 1000)} s)\n`);
  }
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(`  seeded ${rows} postbacks, ${regs} registrations in ${Math.round((Date.now() - started) / 1000)} s`);
}

// ---------------------------------------------------------------- measuring

const cursorOf = (id) => Buffer.from(JSON.stringify([id])).toString('base64url');
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function timeList(url, query) {
  const times = [];
  let items = 0;
  for (let i = 0; i < REQUESTS + 10; i++) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${url}/api/v1/webhooks/events?${query}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const body = await res.json();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${JSON.stringify(body)}`);
    items = body.items.length;
    if (i >= 10) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { items, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

/** WebhookEventRepository's check (PostgreSQL) that the postback's registration (still) has this learner or course. */
const registrationHas = (column) =>
  `COALESCE((SELECT r.${column} FROM scorm_registrations r WHERE r.id = e.registration_id) = $1, false)`;

/** The statement WebhookEventRepository.list sends for each case (kept in step with it by hand). */
function listCases(rows, deepId, dayStart) {
  const regs = registrationsFor(rows);
  const dayEnd = new Date(dayStart.getTime() + DAY_MS);
  const prefix = (ms) => {
    const h = Math.floor(ms).toString(16).padStart(12, '0');
    return `${h.slice(0, 8)}-${h.slice(8)}`;
  };
  const slack = 5 * 60_000;
  return [
    { name: 'newest page', query: 'limit=50', where: '1 = 1', params: [] },
    {
      name: 'one registration',
      params: [`scale-reg-${Math.floor(regs / 3)}`],
      query: `limit=50&registration_id=scale-reg-${Math.floor(regs / 3)}`,
      where: 'e.registration_id = $1',
    },
    { name: 'deep cursor (90%)', params: [deepId], query: `limit=50&cursor=${cursorOf(deepId)}`, where: 'e.id < $1' },
    {
      name: 'one learner',
      params: ['scale-learner-7'],
      query: 'limit=50&learner_id=scale-learner-7',
      registrations: "learner_id = 'scale-learner-7'",
      sqliteWhere: 'e.registration_id IN (SELECT r.id FROM scorm_registrations r WHERE r.learner_id = $1)',
      where: `e.learner_id = $1 AND ${registrationHas('learner_id')}`,
    },
    {
      name: 'one course',
      params: ['scale-course-7'],
      query: 'limit=50&course_id=scale-course-7',
      registrations: "course_id = 'scale-course-7'",
      sqliteWhere: 'e.registration_id IN (SELECT r.id FROM scorm_registrations r WHERE r.course_id = $1)',
      where: `e.course_id = $1 AND ${registrationHas('course_id')}`,
    },
    {
      name: 'outcome=stale',
      params: ['stale'],
      query: 'limit=50&outcome=stale',
      where: "e.outcome = $1 AND e.outcome <> 'applied'",
    },
    {
      name: 'one day (time range)',
      params: [
        prefix(dayStart.getTime() - slack),
        dayStart.toISOString(),
        prefix(dayEnd.getTime() + slack),
        dayEnd.toISOString(),
      ],
      query: `limit=50&received_from=${dayStart.toISOString()}&received_before=${dayEnd.toISOString()}`,
      where: 'e.id >= $1 AND e.received_at >= $2 AND e.id < $3 AND e.received_at < $4',
    },
  ];
}

/** The statement WebhookEventRepository.list sends on PostgreSQL. */
function postgresStatementOf(c) {
  return { params: c.params, text: `SELECT e.* FROM webhook_events e WHERE ${c.where} ORDER BY e.id DESC LIMIT 51` };
}

/**
 * WebhookEventRepository's paths for learner and course on SQLite (no index of its own for either): a few
 * registrations, one seek each, merged; up to LISTED_REGISTRATIONS, the primary key walked against them as a list;
 * beyond, against a sub-select.
 */
const FEW_REGISTRATIONS = 50;
const LISTED_REGISTRATIONS = 5000;
function sqliteStatementOf(c, registrationIds) {
  const mark = () => '?';
  if (!c.registrations || registrationIds.length > LISTED_REGISTRATIONS) {
    return { params: c.params, text: `SELECT e.* FROM webhook_events e WHERE ${c.where} ORDER BY e.id DESC LIMIT 51` };
  }
  if (registrationIds.length > FEW_REGISTRATIONS) {
    const list = registrationIds.map((_, i) => mark(i)).join(', ');
    return {
      params: registrationIds,
      text: `SELECT e.* FROM webhook_events e WHERE e.registration_id IN (${list}) ORDER BY e.id DESC LIMIT 51`,
    };
  }
  const branches = registrationIds.map(
    (_, i) =>
      `SELECT * FROM (SELECT e.id FROM webhook_events e WHERE e.registration_id = ${mark(i)} ORDER BY e.id DESC LIMIT 51) b`,
  );
  return {
    params: registrationIds,
    text: `SELECT id FROM (${branches.join(' UNION ALL ')}) m ORDER BY id DESC LIMIT 51`,
  };
}

function postbackLoad(url, regs, seconds) {
  let n = 0;
  const base = Date.now() - DAY_MS;
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            headers: { authorization: BASIC, 'content-type': 'application/json' },
            method: 'POST',
            path: '/api/v1/webhooks/scorm-cloud',
            setupRequest: (req) => {
              const i = n++;
              const ts = new Date(base + i).toISOString();
              const reg = `scale-reg-${(i * 7919) % regs}`;
              const body = BODY_TEMPLATE.replace(/%REG%/g, reg)
                .replace(/%TS%/g, ts)
                .replace(',"postBack":{"password":"[Redacted]"}', '');
              return { ...req, body };
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

async function ingest(url, regs) {
  await postbackLoad(url, regs, Math.max(1, Math.round(INGEST_SECONDS / 5)));
  const result = await postbackLoad(url, regs, INGEST_SECONDS);
  if (result.non2xx || result.errors) throw new Error(`ingest: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { p99: result.latency.p99, rps: result['2xx'] / result.duration, stored: result['2xx'] };
}

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

function printLists(results) {
  console.log('  list                     items   p50 ms   p99 ms   goal p50<=10');
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(24)} ${String(r.items).padStart(5)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)}   ${r.p50 <= P50_GOAL_MS ? 'met' : 'NOT met'}`,
    );
  }
  for (const r of results) console.log(`  plan, ${r.name}:\n    ${r.plan.split('\n').join('\n    ')}`);
}

// ---------------------------------------------------------------- PostgreSQL

async function withAdmin(fn) {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function scratchPostgres() {
  const name = `scale_bench_${randomUUID().slice(0, 8)}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
    url: url.toString(),
  };
}

async function runPostgres() {
  console.log(`\n## PostgreSQL, ${PG_ROWS} postbacks`);
  const big = await scratchPostgres();
  const empty = await scratchPostgres();
  try {
    let gateway = await startGateway(big.url);
    await stop(gateway.child);
    await seedPostgres(big.url, PG_ROWS);
    const client = new Client({ connectionString: big.url });
    await client.connect();
    const deep = await client.query(`SELECT id FROM webhook_events WHERE id < $1 ORDER BY id DESC LIMIT 1`, [
      idPrefixAt(Date.now() - 0.9 * SPAN_MS),
    ]);
    const day = new Date(Math.floor((Date.now() - SPAN_MS / 2) / DAY_MS) * DAY_MS);
    const cases = listCases(PG_ROWS, deep.rows[0].id, day);
    gateway = await startGateway(big.url);
    const results = [];
    for (const c of cases) {
      const timing = await timeList(gateway.url, c.query);
      const statement = postgresStatementOf(c);
      const plan = await client.query(`EXPLAIN ${statement.text}`, statement.params);
      results.push({ ...c, ...timing, plan: plan.rows.map((row) => row['QUERY PLAN']).join('\n') });
    }
    printLists(results);
    const size = await client.query(
      `SELECT pg_total_relation_size('webhook_events') AS total, pg_relation_size('webhook_events') AS heap,
        pg_indexes_size('webhook_events') AS indexes, (SELECT count(*) FROM webhook_events) AS n,
        (SELECT avg(pg_column_size(raw_body)) FROM (SELECT raw_body FROM webhook_events TABLESAMPLE SYSTEM (1)) s) AS body`,
    );
    const s = size.rows[0];
    const n = Number(s.n);
    console.log(
      `  bytes per postback: ${fmt(s.total / n, 0)} (heap ${fmt(s.heap / n, 0)}, indexes ${fmt(s.indexes / n, 0)}, ` +
        `raw body ${fmt(Number(s.body), 0)}; without bodies about ${fmt(s.total / n - Number(s.body), 0)})`,
    );
    const regs = registrationsFor(PG_ROWS);
    const onBig = [await ingest(gateway.url, regs)];
    await stop(gateway.child);
    if (NATIVE) await nativeTypes(client);
    await client.end();

    let emptyGateway = await startGateway(empty.url);
    await stop(emptyGateway.child);
    const emptyClient = new Client({ connectionString: empty.url });
    await emptyClient.connect();
    await emptyClient.query(
      'INSERT INTO scorm_registrations (id, course_id, learner_id, learner_first_name, learner_last_name, context_id, ' +
        "created_by, instance, created_at, updated_at) SELECT 'scale-reg-' || r, 'c', 'l', 'A', 'V', 'ctx', 'bench', 0, " +
        "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM generate_series(0, $1 - 1) r",
      [regs],
    );
    await emptyClient.end();
    emptyGateway = await startGateway(empty.url);
    const onEmpty = [await ingest(emptyGateway.url, regs)];
    await stop(emptyGateway.child);
    // A second round of each, alternating: the machine is shared, so the better of two is compared.
    gateway = await startGateway(big.url);
    onBig.push(await ingest(gateway.url, regs));
    await stop(gateway.child);
    emptyGateway = await startGateway(empty.url);
    onEmpty.push(await ingest(emptyGateway.url, regs));
    const baseline = await timeList(emptyGateway.url, 'limit=50');
    await stop(emptyGateway.child);
    printIngest(best(onBig), best(onEmpty));
    printBaseline(results, baseline, onEmpty);
  } finally {
    await big.drop();
    await empty.drop();
  }
}

function idPrefixAt(ms) {
  const h = Math.floor(ms).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8)}`;
}

/** The same page size on the small store the ingest runs left behind: what a list costs whatever the store's size. */
function printBaseline(results, baseline, onEmpty) {
  const stored = onEmpty.reduce((sum, run) => sum + run.stored, 0);
  console.log(
    `  baseline: newest page on the small store (about ${stored} postbacks) p50 ${fmt(baseline.p50)} ms; ` +
      `big store p50 / baseline: ${results.map((r) => `${r.name} ${fmt(r.p50 / baseline.p50, 2)}x`).join(', ')}`,
  );
}

const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));

function printIngest(onBig, onEmpty) {
  const ratio = onBig.rps / onEmpty.rps;
  console.log(
    `  ingest (${CONNECTIONS} connections, ${INGEST_SECONDS} s): big store ${fmt(onBig.rps, 0)}/s p99 ${onBig.p99} ms, ` +
      `empty store ${fmt(onEmpty.rps, 0)}/s p99 ${onEmpty.p99} ms: ratio ${fmt(ratio, 2)} ` +
      `(goal >= ${INGEST_GOAL}: ${ratio >= INGEST_GOAL ? 'met' : 'NOT met'})`,
  );
}

/** uuid + timestamptz copy of the table with the same indexes: sizes and direct query latency against the text one. */
async function nativeTypes(client) {
  console.log('  native types (uuid id, timestamptz received_at) against varchar, same rows and indexes:');
  await client.query('DROP TABLE IF EXISTS scale_native');
  await client.query(
    `CREATE TABLE scale_native AS SELECT id::uuid AS id, received_at::timestamptz AS received_at, shape, method,
       content_type, raw_body, body_hash, dedup_key, registration_id, instance, progress_updated_at::timestamptz AS
       progress_updated_at, completion, success, score, total_seconds, first_access_at::timestamptz AS first_access_at,
       last_access_at::timestamptz AS last_access_at, completed_at::timestamptz AS completed_at, auth_method,
       token_verified, outcome, unknown_registration FROM webhook_events`,
  );
  await client.query('ALTER TABLE scale_native ADD PRIMARY KEY (id)');
  await client.query('CREATE INDEX scale_native_registration ON scale_native (registration_id, id)');
  await client.query('VACUUM ANALYZE scale_native');
  const sizes = await client.query(
    `SELECT c.relname, pg_relation_size(c.oid) AS bytes FROM pg_class c WHERE c.relname IN
       ('webhook_events', 'webhook_events_pkey', 'IDX_webhook_events_registration', 'scale_native', 'scale_native_pkey',
        'scale_native_registration') OR c.oid = (SELECT conindid FROM pg_constraint WHERE conrelid = 'webhook_events'::regclass AND contype = 'p')`,
  );
  const bytes = Object.fromEntries(sizes.rows.map((row) => [row.relname, Number(row.bytes)]));
  const pkName = Object.keys(bytes).find((name) => name.startsWith('PK_') || name === 'webhook_events_pkey');
  const mb = (b) => `${fmt(b / 1048576, 0)} MB`;
  console.log(
    `    heap ${mb(bytes.webhook_events)} -> ${mb(bytes.scale_native)}; primary key ${mb(bytes[pkName])} -> ` +
      `${mb(bytes.scale_native_pkey)}; (registration_id, id) ${mb(bytes.IDX_webhook_events_registration)} -> ` +
      `${mb(bytes.scale_native_registration)}`,
  );
  const { rows } = await client.query(
    'SELECT id, registration_id FROM webhook_events ORDER BY id DESC OFFSET 1000 LIMIT 1',
  );
  const sample = rows[0];
  const cases = [
    ['newest page', 'ORDER BY id DESC LIMIT 51', []],
    ['one registration', 'WHERE registration_id = $1 ORDER BY id DESC LIMIT 51', [sample.registration_id]],
    ['cursor', 'WHERE id < $1 ORDER BY id DESC LIMIT 51', [sample.id]],
  ];
  for (const [name, tail, params] of cases) {
    const text = await timeQuery(client, `SELECT * FROM webhook_events ${tail}`, params);
    const native = await timeQuery(client, `SELECT * FROM scale_native ${tail}`, params);
    console.log(`    ${name.padEnd(18)} varchar p50 ${fmt(text, 2)} ms, native p50 ${fmt(native, 2)} ms`);
  }
  await client.query('DROP TABLE scale_native');
}

async function timeQuery(client, text, params) {
  const times = [];
  for (let i = 0; i < REQUESTS + 10; i++) {
    const started = process.hrtime.bigint();
    await client.query(text, params);
    if (i >= 10) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return quantile(
    times.sort((a, b) => a - b),
    0.5,
  );
}

// ---------------------------------------------------------------- SQLite

/**
 * The retention job on the big SQLite store: bodies older than 30 days (half of them) pruned by the gateway's own
 * job while postbacks stream in, then the file size once it has handed the pages back (incremental vacuum).
 */
async function pruneUnderLoad(file, regs, before) {
  const cutoff = idPrefixAt(Date.now() - 30 * DAY_MS);
  const pending = () => {
    const db = new Database(file, { readonly: true });
    try {
      const left = db.prepare("SELECT count(*) AS n FROM webhook_events WHERE id < ? AND raw_body <> ''").get(cutoff).n;
      const free = db.pragma('freelist_count', { simple: true });
      const pages = db.pragma('page_count', { simple: true });
      const size = db.pragma('page_size', { simple: true });
      const n = db.prepare('SELECT count(*) AS n FROM webhook_events').get().n;
      return { bytes: (pages - free) * size, file: statSync(file).size, free, left, n };
    } finally {
      db.close();
    }
  };
  const start = pending();
  const gateway = await startGateway(`sqlite:${file}`, {
    RETENTION_INTERVAL_MS: '1000',
    RETENTION_POSTBACK_BODY_DAYS: '30',
  });
  const during = await ingest(gateway.url, regs);
  const started = Date.now();
  let state = pending();
  while ((state.left > 0 || state.free > 0) && Date.now() - started < 15 * 60_000) {
    await new Promise((r) => setTimeout(r, 2000));
    state = pending();
  }
  await stop(gateway.child);
  const end = pending();
  console.log(
    `  retention (bodies older than 30 days: ${start.left} of ${start.n}) while ingesting: ${fmt(during.rps, 0)}/s ` +
      `p99 ${during.p99} ms, ${fmt(during.rps / before.rps, 2)}x the big store without pruning; done ` +
      `${Math.round((Date.now() - started) / 1000)} s after the load ended (${end.left} left)`,
  );
  console.log(
    `  bytes per postback after pruning: ${fmt(end.file / end.n, 0)} (file ${fmt(start.file / 1048576, 0)} MB -> ` +
      `${fmt(end.file / 1048576, 0)} MB, ${end.free} free pages left)`,
  );
}

async function runSqlite() {
  console.log(`\n## SQLite, ${SQLITE_ROWS} postbacks`);
  const dir = mkdtempSync(join(tmpdir(), 'scale-bench-'));
  try {
    const bigFile = join(dir, 'big.sqlite');
    let gateway = await startGateway(`sqlite:${bigFile}`);
    await stop(gateway.child);
    seedSqlite(bigFile, SQLITE_ROWS);
    const db = new Database(bigFile, { readonly: true });
    const deepId = db
      .prepare('SELECT id FROM webhook_events WHERE id < ? ORDER BY id DESC LIMIT 1')
      .get(idPrefixAt(Date.now() - 0.9 * SPAN_MS)).id;
    const day = new Date(Math.floor((Date.now() - SPAN_MS / 2) / DAY_MS) * DAY_MS);
    const cases = listCases(SQLITE_ROWS, deepId, day);
    gateway = await startGateway(`sqlite:${bigFile}`);
    const results = [];
    for (const c of cases) {
      const timing = await timeList(gateway.url, c.query);
      const regIds = c.registrations
        ? db
            .prepare(`SELECT id FROM scorm_registrations WHERE ${c.registrations} LIMIT 5001`)
            .all()
            .map((r) => r.id)
        : [];
      const where = (c.sqliteWhere ?? c.where).replace(/\$\d+/g, '?');
      const statement = sqliteStatementOf({ ...c, where }, regIds);
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${statement.text}`).all(...statement.params);
      results.push({ ...c, ...timing, plan: plan.map((row) => row.detail).join('\n') });
    }
    printLists(results);
    const n = db.prepare('SELECT count(*) AS n FROM webhook_events').get().n;
    const stat = db
      .prepare(
        `SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name = 'webhook_events' OR name IN
           (SELECT name FROM sqlite_master WHERE tbl_name = 'webhook_events' AND type = 'index') GROUP BY name`,
      )
      .all();
    const table = stat.find((row) => row.name === 'webhook_events')?.bytes ?? 0;
    const indexes = stat.filter((row) => row.name !== 'webhook_events').reduce((sum, row) => sum + row.bytes, 0);
    const body = db
      .prepare('SELECT avg(length(raw_body)) AS b FROM (SELECT raw_body FROM webhook_events LIMIT 10000)')
      .get().b;
    db.close();
    console.log(
      `  bytes per postback: ${fmt((table + indexes) / n, 0)} (table ${fmt(table / n, 0)}, indexes ${fmt(indexes / n, 0)}, ` +
        `raw body ${fmt(body, 0)}); whole file ${fmt(statSync(bigFile).size / n, 0)}`,
    );
    const regs = registrationsFor(SQLITE_ROWS);
    const onBig = [await ingest(gateway.url, regs)];
    await stop(gateway.child);

    const emptyFile = join(dir, 'empty.sqlite');
    gateway = await startGateway(`sqlite:${emptyFile}`);
    await stop(gateway.child);
    const empty = new Database(emptyFile);
    empty
      .prepare(
        `WITH RECURSIVE s(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM s WHERE r < ?)
         INSERT INTO scorm_registrations (id, course_id, learner_id, learner_first_name, learner_last_name, context_id,
           created_by, instance, created_at, updated_at)
         SELECT 'scale-reg-' || r, 'c', 'l', 'A', 'V', 'ctx', 'bench', 0, '2026-01-01T00:00:00.000Z',
           '2026-01-01T00:00:00.000Z' FROM s`,
      )
      .run(regs - 1);
    empty.close();
    gateway = await startGateway(`sqlite:${emptyFile}`);
    const onEmpty = [await ingest(gateway.url, regs)];
    await stop(gateway.child);
    gateway = await startGateway(`sqlite:${bigFile}`);
    onBig.push(await ingest(gateway.url, regs));
    await stop(gateway.child);
    gateway = await startGateway(`sqlite:${emptyFile}`);
    onEmpty.push(await ingest(gateway.url, regs));
    const baseline = await timeList(gateway.url, 'limit=50');
    await stop(gateway.child);
    printIngest(best(onBig), best(onEmpty));
    printBaseline(results, baseline, onEmpty);
    if (PRUNE) await pruneUnderLoad(bigFile, regs, best(onBig));
  } finally {
    rmSync(dir, { force: true, recursive: true });
  }
}

module.exports = { seedSqlite, seedPostgres, registrationsFor };

if (require.main === module) {
  (async () => {
    console.log(
      `scale: ${REQUESTS} requests per list, ingest ${INGEST_SECONDS} s at ${CONNECTIONS} connections; goals: list p50 <= ` +
        `${P50_GOAL_MS} ms, ingest on the big store >= ${INGEST_GOAL}x the empty one`,
    );
    if (TARGETS.includes('postgres')) await runPostgres();
    if (TARGETS.includes('sqlite')) await runSqlite();
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
