#!/usr/bin/env node
/**
 * `npm start`: builds once, then runs the sandbox (Bazaar, SCORM Cloud, demo LMS) and the gateway wired to
 * each other on loopback, with demo secrets, so every flow works offline. Values in `.env` or the
 * environment win, so real credentials switch the gateway to the real services. Ctrl-C stops both.
 */
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const root = join(__dirname, '..');
const fileEnv = existsSync(join(root, '.env')) ? require('dotenv').parse(readFileSync(join(root, '.env'))) : {};
const userEnv = { ...fileEnv, ...process.env };

const gatewayPort = Number(userEnv.PORT || 3000);
const sandboxPort = Number(userEnv.SANDBOX_PORT || 3100);
const gatewayUrl = `http://localhost:${gatewayPort}`;
const sandboxUrl = `http://localhost:${sandboxPort}`;

const sandboxOrigins = [sandboxUrl, `http://127.0.0.1:${sandboxPort}`];
/** The demo page (sandbox origin) calls the gateway from the browser and is where Bazaar returns to. */
const withSandbox = (value, fallback) =>
  [...new Set([...(value || fallback).split(','), ...sandboxOrigins].map((o) => o.trim()).filter(Boolean))].join(',');

// The sandbox's demo LMS back end receives every event, signed with a secret it knows (apps/sandbox/src/sandbox.config.ts).
const lmsWebhookSecret = userEnv.SANDBOX_LMS_WEBHOOK_SECRET || 'whsec_ZGVtby1sbXMtYmFjay1lbmQtd2ViaG9vay1zZWNyZXQ=';
const lmsWebhooks = { event_types: ['*'], name: 'demo-lms', secret: lmsWebhookSecret, url: `http://127.0.0.1:${sandboxPort}/lms/webhooks` };
const demo = {
  BAZAAR_BASE_URL: `http://127.0.0.1:${sandboxPort}/bazaar/api/v1`,
  EVENT_SUBSCRIPTIONS: JSON.stringify([lmsWebhooks]),
  PUBLIC_BASE_URL: gatewayUrl,
  SANDBOX_PORT: String(sandboxPort),
};
const gatewayEnv = {
  ...demo,
  ...userEnv,
  ALLOWED_RETURN_ORIGINS: withSandbox(userEnv.ALLOWED_RETURN_ORIGINS, ''),
  CORS_ORIGINS: withSandbox(userEnv.CORS_ORIGINS, 'https://cloud.scorm.com'),
  PORT: String(gatewayPort),
};
const sandboxEnv = {
  ...userEnv,
  // The demo page plays the LMS, so it signs user tokens with the LMS secret the gateway verifies.
  ...(userEnv.LMS_JWT_SECRET && !userEnv.SANDBOX_DEMO_JWT_SECRET ? { SANDBOX_DEMO_JWT_SECRET: userEnv.LMS_JWT_SECRET } : {}),
  SANDBOX_GATEWAY_URL: userEnv.SANDBOX_GATEWAY_URL || gatewayUrl,
  SANDBOX_LMS_WEBHOOK_SECRET: lmsWebhookSecret,
  SANDBOX_PORT: String(sandboxPort),
  SANDBOX_PUBLIC_URL: userEnv.SANDBOX_PUBLIC_URL || sandboxUrl,
};

// The sandbox keeps its SCORM Cloud state beside the gateway's SQLite file, so a second start continues where the
// last left off, and `npm start -- --reset` starts both afresh.
const sqliteFile = /^sqlite:(?!:memory:)(.+)$/.exec(gatewayEnv.DATABASE_URL || 'sqlite:data/gateway.sqlite')?.[1];
sandboxEnv.SANDBOX_STATE_FILE ??= join(sqliteFile ? dirname(resolve(root, sqliteFile)) : join(root, 'data'), 'sandbox.json');
if (process.argv.includes('--reset')) {
  if (!sqliteFile) {
    console.error('--reset deletes only a SQLite database; DATABASE_URL is not one, so nothing was deleted.');
    process.exit(1);
  }
  for (const file of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`].map((f) => resolve(root, f))) rmSync(file, { force: true });
  if (sandboxEnv.SANDBOX_STATE_FILE && sandboxEnv.SANDBOX_STATE_FILE !== ':memory:') {
    rmSync(resolve(root, sandboxEnv.SANDBOX_STATE_FILE), { force: true });
    rmSync(resolve(root, sandboxEnv.SANDBOX_STATE_FILE).replace(/(\.[^./]*)?$/, '-lms-webhooks.json'), { force: true });
  }
  console.log('Reset: the gateway database and the sandbox state start empty.');
}

if (!process.env.SKIP_BUILD) {
  console.log('Building the gateway and the sandbox…');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status || 1);
}
if (existsSync(join(root, 'scripts', 'generate-keys.js'))) {
  spawnSync(process.execPath, [join(root, 'scripts', 'generate-keys.js'), '--if-missing'], { cwd: root, env: gatewayEnv, stdio: 'inherit' });
}

const children = [];
let stopping = false;

// Logs: both apps write pino JSON lines. In a terminal they are shown as short readable lines, coloured by level;
// anywhere else (a file, a pipe, CI) they pass through untouched, JSON for log tools, with no colour codes.
const pretty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS = { 10: 90, 20: 90, 30: 32, 40: 33, 50: 31, 60: 31 };
const paint = (code, text) => (pretty ? `\x1b[${code}m${text}\x1b[0m` : text);

function prettyLine(name, line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${name.padEnd(8)}${line}`;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return `${name.padEnd(8)}${line}`;
  const time = new Date(entry.time || Date.now()).toTimeString().slice(0, 8);
  const level = paint(COLOURS[entry.level] || 0, (LEVELS[entry.level] || String(entry.level)).padEnd(5));
  let text = entry.msg || '';
  if (entry.req && entry.res) {
    const request = `${entry.req.method} ${entry.req.url} ${entry.res.statusCode} (${entry.responseTime} ms)`;
    text = text === 'request completed' ? request : `${text} (${entry.responseTime} ms)`;
  } else if (entry.context) {
    text = `[${entry.context}] ${text}`;
  }
  if (entry.err && entry.err.stack) text += `\n${entry.err.stack}`;
  return `${paint(90, time)} ${name.padEnd(8)}${level} ${text}`;
}

function relay(name, stream, out) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) if (line) out.write(`${pretty ? prettyLine(name, line) : line}\n`);
  });
  stream.on('end', () => rest && out.write(`${pretty ? prettyLine(name, rest) : rest}\n`));
}

function run(name, script, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  relay(name, child.stdout, process.stdout);
  relay(name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`The ${name} stopped (${signal || `exit ${code}`}); stopping the rest.`);
      stop(code || 1);
    }
  });
  children.push(child);
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the gateway and the sandbox…');
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  deadline.unref();
  Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null ? null : new Promise((r) => child.on('exit', r)),
    ),
  ).then(() => process.exit(code));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
// `npm start` runs this script under `sh -c`, which does not pass signals on: a SIGTERM or SIGINT sent to npm
// ends npm and the shell but not this process. Losing the parent therefore stops everything too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop(0);
}, 250).unref();

async function waitFor(url, ms = 30000) {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopping) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

run('sandbox', join(root, 'dist/apps/sandbox/main.js'), sandboxEnv);
// The node flags production runs the gateway with (Dockerfile, npm run start:api): a 2 MB young generation, and an
// old generation let grow to twice what the last full collection kept (README, Memory and image).
run('gateway', join(root, 'dist/apps/api/apps/api/src/main.js'), gatewayEnv, ['--max-semi-space-size=2', '--heap-growing-percent=100']);

Promise.all([waitFor(`${sandboxUrl}/health`), waitFor(`${gatewayUrl}/health`)]).then(([sandboxUp, gatewayUp]) => {
  if (!sandboxUp || !gatewayUp) return;
  console.log(
    [
      '',
      `  LMS Gateway is running: demo LMS ${sandboxUrl}/demo · API docs ${gatewayUrl}/docs · Ctrl-C stops it.`,
      '',
    ].join('\n'),
  );
});
