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
function run(name, script, env) {
  const child = spawn(process.execPath, [script], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped (${signal || code}); stopping the rest.`);
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
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  deadline.unref();
  Promise.all(children.map((child) => (child.exitCode !== null ? null : new Promise((r) => child.on('exit', r))))).then(() =>
    process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

async function waitFor(url, ms = 30000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
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
run('gateway', join(root, 'dist/apps/api/apps/api/src/main.js'), gatewayEnv);

Promise.all([waitFor(`${sandboxUrl}/health`), waitFor(`${gatewayUrl}/health`)]).then(([sandboxUp, gatewayUp]) => {
  if (!sandboxUp || !gatewayUp) return;
  console.log(
    [
      '',
      '  LMS Gateway is running.',
      `  Open the demo LMS:   ${sandboxUrl}/demo`,
      `  Gateway API docs:    ${gatewayUrl}/docs`,
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
});
