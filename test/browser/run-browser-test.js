#!/usr/bin/env node
/**
 * `npm run test:browser`: the demo LMS page driven end to end in Debian's chromium through playwright-core.
 * Starts the BUILT gateway and sandbox (what `npm start` and the container run) as child processes on free
 * loopback ports with a temporary SQLite database and key pair, then walks the flows a newcomer clicks through:
 * a teacher adds a Bazaar material, a student opens it, enrols in a SCORM course, completes it in the sandbox
 * player and sees the progress arrive on the gateway's event stream (the page does not poll for it), and the demo
 * LMS's back end shows the signed webhook it verified. Screenshots of every step go to artifacts/browser/
 * (git-ignored).
 * Never downloads a browser: CHROMIUM_PATH (default /usr/bin/chromium) must exist (`apt-get install chromium`).
 */
const { spawn, spawnSync } = require('node:child_process');
const {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
} = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'artifacts', 'browser');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TIME_LIMIT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 180_000);
const STEP_TIMEOUT_MS = 20_000;
const GATEWAY_MAIN = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
const SANDBOX_MAIN = join(ROOT, 'dist/apps/sandbox/main.js');
/** The sandbox store's first catalogue entry is the Bazaar spec's own example material. */
const MATERIAL_UID = 'dc38da67-bb73-4062-8c67-a6e76e6c8f69';
const COURSE = 'bio-7a-2026';
const SCORE = 85;
/** The sandbox LMS back end's demo secret (apps/sandbox/src/sandbox.config.ts), as `npm start` subscribes it. */
const LMS_WEBHOOK_SECRET = 'whsec_ZGVtby1sbXMtYmFjay1lbmQtd2ViaG9vay1zZWNyZXQ=';
/** The sandbox SCORM Cloud's demo app secret (apps/sandbox/src/sandbox.config.ts). */
const DEMO_SCORM_SECRET = 'demo-scorm-secret-key-0123456789';

const children = [];
const results = [];
let browser;
let workDir;

function log(message) {
  process.stdout.write(`${message}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds when dist is missing or older than the sources, so the test never runs stale code. */
function ensureBuilt() {
  const built = [GATEWAY_MAIN, SANDBOX_MAIN].every(existsSync);
  const sources = Math.max(newestMtime(join(ROOT, 'apps')), newestMtime(join(ROOT, 'libs')));
  if (built && Math.min(statSync(GATEWAY_MAIN).mtimeMs, statSync(SANDBOX_MAIN).mtimeMs) >= sources) return;
  log('Building the gateway and the sandbox…');
  for (const project of ['api', 'sandbox']) {
    const build = spawnSync('npx', ['nest', 'build', project], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`nest build ${project} failed`);
  }
}

/** Only what the apps need: a developer's .env and shell variables must not leak into the test stack. */
function baseEnv() {
  const env = { NODE_ENV: 'development', PATH: process.env.PATH };
  for (const key of ['HOME', 'LANG', 'TZ', 'SystemRoot']) if (process.env[key]) env[key] = process.env[key];
  return env;
}

function startChild(name, script, env) {
  const logFile = join(ARTIFACTS, `${name}.log`);
  const out = openSync(logFile, 'w');
  // cwd is the temp dir, so neither app finds the repository's .env.
  const child = spawn(process.execPath, [script], { cwd: workDir, env, stdio: ['ignore', out, out] });
  child.label = name;
  child.logFile = logFile;
  children.push(child);
  child.on('exit', (code, signal) => {
    child.exited = { code, signal };
  });
  return child;
}

async function waitForHealth(url, child, ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exited)
      throw new Error(`${child.label} exited (${child.exited.signal || child.exited.code}); see ${child.logFile}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${child.label} did not answer ${url}/health within ${ms} ms; see ${child.logFile}`);
}

async function startStack() {
  workDir = mkdtempSync(join(tmpdir(), 'gw-browser-'));
  const [gatewayPort, sandboxPort] = [await freePort(), await freePort()];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  // The demo configuration, as `npm start` builds it, on free ports; both sides use the demo secrets.
  const sandbox = startChild('sandbox', SANDBOX_MAIN, {
    ...baseEnv(),
    SANDBOX_GATEWAY_URL: gatewayUrl,
    SANDBOX_HOST: '127.0.0.1',
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_PUBLIC_URL: sandboxUrl,
    SANDBOX_STATE_FILE: '',
  });
  const gateway = startChild('gateway', GATEWAY_MAIN, {
    ...baseEnv(),
    ALLOWED_RETURN_ORIGINS: sandboxUrl,
    BAZAAR_BASE_URL: `${sandboxUrl}/bazaar/api/v1`,
    CORS_ORIGINS: `https://cloud.scorm.com,${sandboxUrl}`,
    DATABASE_URL: `sqlite:${join(workDir, 'gateway.sqlite')}`,
    EVENT_SUBSCRIPTIONS: JSON.stringify([
      { event_types: ['*'], name: 'demo-lms', secret: LMS_WEBHOOK_SECRET, url: `${sandboxUrl}/lms/webhooks` },
    ]),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    PORT: String(gatewayPort),
    PUBLIC_BASE_URL: gatewayUrl,
    SANDBOX_PORT: String(sandboxPort),
    SCORM_PRIVATE_KEY_PATH: join(workDir, 'keys', 'scorm_private_key.pem'),
    SCORM_PUBLIC_KEY_PATH: join(workDir, 'keys', 'scorm_public_key.pem'),
    TUNNEL: 'none',
  });
  await Promise.all([waitForHealth(sandboxUrl, sandbox), waitForHealth(gatewayUrl, gateway)]);
  return { gatewayUrl, sandboxUrl };
}

async function stopChildren() {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exited) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function cleanup() {
  if (browser) await browser.close().catch(() => undefined);
  browser = undefined;
  await stopChildren();
  if (workDir) rmSync(workDir, { force: true, recursive: true });
  workDir = undefined;
}

// A last resort if the runner itself is interrupted: no orphaned servers.
process.on('exit', () => {
  for (const child of children) if (!child.exited) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`\n${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ fullPage: true, path: join(ARTIFACTS, `${name}.png`) });
}

/** Runs the steps of one flow in order; after a failure the rest of that flow cannot run and counts as failed. */
async function flow(name, page, steps) {
  let broken;
  for (const [title, run] of steps) {
    const label = `${name}: ${title}`;
    if (broken) {
      results.push({ error: `not run: "${broken}" failed`, label, ok: false });
      log(`  ✗ ${label} (not run: an earlier step failed)`);
      continue;
    }
    const started = Date.now();
    try {
      await run();
      results.push({ label, ok: true });
      log(`  ✓ ${label} (${Date.now() - started} ms)`);
    } catch (error) {
      broken = title;
      const notice = await page.textContent('[data-testid="notice"]:visible', { timeout: 500 }).catch(() => null);
      if (notice) error.message += `\n(the demo page says: ${notice.trim()})`;
      results.push({ error: error.message, label, ok: false });
      log(`  ✗ ${label}\n      ${String(error.message).split('\n').join('\n      ')}`);
      await shot(page, `FAILED-${name}`).catch(() => undefined);
    }
  }
}

async function demoPage(page, sandboxUrl, user) {
  await page.goto(`${sandboxUrl}/demo?user=${user}&course=${COURSE}`);
  await page.waitForSelector('body[data-ready="true"]');
}

async function main() {
  expect(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (set CHROMIUM_PATH to use another)`,
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const file of readdirSync(ARTIFACTS)) if (/\.(png|log)$/.test(file)) rmSync(join(ARTIFACTS, file));
  ensureBuilt();
  const { gatewayUrl, sandboxUrl } = await startStack();
  log(`Gateway ${gatewayUrl}, sandbox ${sandboxUrl}; screenshots in ${ARTIFACTS}`);

  const { chromium } = require('playwright-core');
  browser = await chromium.launch({
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    executablePath: CHROMIUM,
    headless: true,
  });
  const context = await browser.newContext({ viewport: { height: 820, width: 1100 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  // The sandbox catalogue's images point at the spec's example host; nothing leaves this machine.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
  const page = await context.newPage();
  const material = `[data-testid="material"][data-uid="${MATERIAL_UID}"]`;

  await flow('Bazaar', page, [
    [
      'a teacher opens the course page',
      async () => {
        await demoPage(page, sandboxUrl, 'teacher');
        expect(
          (await page.textContent('[data-testid="who-role"]')) === 'teacher',
          'the page does not show the teacher',
        );
        expect(await page.isVisible('[data-testid="add-material"]'), 'no "Add from Bazaar" button for the teacher');
        await shot(page, '01-teacher-course');
      },
    ],
    [
      'the teacher picks a material in the sandbox Bazaar store',
      async () => {
        await page.click('[data-testid="add-material"]');
        await page.waitForURL(/\/bazaar\/store\//);
        await page.waitForSelector(`form[data-uid="${MATERIAL_UID}"] button`);
        await shot(page, '02-bazaar-store');
        await page.click(`form[data-uid="${MATERIAL_UID}"] button`);
        await page.waitForURL((url) => url.pathname === '/demo');
        await page.waitForSelector('body[data-ready="true"]');
      },
    ],
    [
      'the material is listed in the course after the round trip',
      async () => {
        await page.waitForSelector(`${material} [data-testid="material-name"]`);
        const status = await page.getAttribute('[data-testid="notice"]', 'data-bazaar-status');
        expect(status === 'added', `the page shows bazaar_status=${status}, expected added`);
        expect(!page.url().includes('bazaar_status'), 'the outcome should be cleared from the address bar');
        await shot(page, '03-material-added');
      },
    ],
    [
      'a student opens the material through a one-time view link',
      async () => {
        await demoPage(page, sandboxUrl, 'student');
        expect(!(await page.isVisible('[data-testid="add-material"]')), 'a student must not see "Add from Bazaar"');
        const [view] = await Promise.all([
          context.waitForEvent('page'),
          page.click(`${material} [data-testid="open-material"]`),
        ]);
        await view.waitForURL(/\/bazaar\/view\//);
        const viewer = await view.textContent('#viewer');
        expect(/Sami Student \(student\)/.test(viewer || ''), `the view page shows "${viewer}"`);
        expect((await view.textContent('#uid')) === MATERIAL_UID, 'the view page opened another material');
        await shot(view, '04-material-view');
        await view.close();
      },
    ],
  ]);

  const row = '[data-testid="scorm-course"]';
  const progressReads = [];
  await flow('SCORM', page, [
    [
      'a student sees a SCORM course and enrols',
      async () => {
        await demoPage(page, sandboxUrl, 'student');
        const error = await page.textContent('[data-testid="scorm-empty"]');
        expect(await page.isVisible(row), `no SCORM course on the page (${(error || '').trim()})`);
        await page.click(`${row} >> nth=0 >> [data-testid="enrol"]`);
        await page.waitForSelector(`${row} >> nth=0 >> [data-testid="launch"]`);
        const registration = await page.textContent(`${row} >> nth=0 >> [data-testid="registration-id"]`);
        expect(registration && registration !== 'not enrolled', 'no registration id after enrolling');
      },
    ],
    [
      'the student launches the sandbox player and completes it with a score',
      async () => {
        await page.waitForSelector('[data-testid="stream-state"][data-state="live"]');
        // From here on the result must come through the event stream: count any progress read the page makes.
        page.on('request', (request) => {
          if (/\/api\/v1\/scorm\/(learners\/[^/]+\/progress|registrations\/[^/?]+(\?|$))/.test(request.url())) {
            progressReads.push(request.url());
          }
        });
        const [player] = await Promise.all([
          context.waitForEvent('page'),
          page.click(`${row} >> nth=0 >> [data-testid="launch"]`),
        ]);
        await player.waitForSelector('[data-testid="sandbox-score"]');
        await shot(player, '05-scorm-player');
        await player.fill('[data-testid="sandbox-score"]', String(SCORE));
        await player.click('[data-testid="sandbox-pass"]');
        const result = await player.waitForSelector('#sandbox-result');
        const delivered = await result.getAttribute('data-delivered');
        expect(delivered === 'true', `the player could not post the results: ${(await result.textContent()).trim()}`);
        await shot(player, '06-scorm-results-sent');
        await player.close();
      },
    ],
    [
      'the demo page shows the progress the player posted back',
      async () => {
        await page.waitForFunction(
          (sel) => {
            const cell = (name) => globalThis.document.querySelector(`${sel} [data-testid="${name}"]`)?.textContent;
            return cell('completion') === 'COMPLETED' && cell('score') !== '–';
          },
          row,
          { timeout: 15_000 },
        );
        const score = await page.textContent(`${row} >> nth=0 >> [data-testid="score"]`);
        const success = await page.textContent(`${row} >> nth=0 >> [data-testid="success"]`);
        expect(score === `${SCORE}%`, `the page shows score ${score}, expected ${SCORE}%`);
        expect(success === 'PASSED', `the page shows success ${success}, expected PASSED`);
        expect(progressReads.length === 0, `the page read progress instead of using the stream: ${progressReads}`);
        await page.waitForSelector('[data-testid="stream-event"][data-type="registration.completed"]');
        await shot(page, '07-scorm-progress');
      },
    ],
    [
      "the demo LMS's back end shows the signed webhook it verified",
      async () => {
        const webhook = '[data-testid="webhook"][data-type="registration.completed"]';
        await page.waitForSelector(webhook, { timeout: 15_000 });
        const verified = await page.textContent(`${webhook} [data-testid="webhook-verified"]`);
        expect(/^verified/.test(verified || ''), `the back end panel says "${verified}"`);
        const id = await page.getAttribute(webhook, 'data-webhook-id');
        expect(/^evt_/.test(id || ''), `the webhook-id is "${id}", not an event id`);
        await shot(page, '08-lms-webhooks');
      },
    ],
    [
      'SCORM Cloud deletes the registration: the page learns it on the stream and offers Enrol again',
      async () => {
        const registration = await page.textContent(`${row} >> nth=0 >> [data-testid="registration-id"]`);
        // As an administrator would on SCORM Cloud itself (the sandbox's v2 API, the demo app's credentials).
        const deleted = await fetch(`${sandboxUrl}/scorm/api/v2/registrations/${encodeURIComponent(registration)}`, {
          headers: { Authorization: `Basic ${Buffer.from(`DEMOAPP:${DEMO_SCORM_SECRET}`).toString('base64')}` },
          method: 'DELETE',
        });
        expect(deleted.status === 204, `the sandbox did not delete ${registration}: ${deleted.status}`);
        // The next launch finds it gone; the gateway records that and announces registration.deleted_upstream.
        const [blank] = await Promise.all([
          context.waitForEvent('page'),
          page.click(`${row} >> nth=0 >> [data-testid="launch"]`),
        ]);
        await blank.close().catch(() => undefined);
        await page.waitForSelector(`${row} >> nth=0 >> [data-testid="enrol-again"]`);
        await page.waitForSelector('[data-testid="stream-event"][data-type="registration.deleted_upstream"]');
        const completion = await page.textContent(`${row} >> nth=0 >> [data-testid="completion"]`);
        expect(completion === 'deleted on SCORM Cloud', `the row says "${completion}"`);
        await shot(page, '09-deleted-upstream');
        await page.click(`${row} >> nth=0 >> [data-testid="enrol-again"]`);
        await page.waitForSelector(`${row} >> nth=0 >> [data-testid="launch"]`);
        const again = await page.textContent(`${row} >> nth=0 >> [data-testid="registration-id"]`);
        expect(again && again !== registration, `enrolling again kept registration ${again}`);
      },
    ],
  ]);
}

const deadline = setTimeout(() => {
  log(`\nThe browser test ran out of time (${TIME_LIMIT_MS} ms).`);
  results.push({ error: 'time limit', label: 'time limit', ok: false });
  cleanup().finally(() => finish());
}, TIME_LIMIT_MS);

function finish() {
  clearTimeout(deadline);
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`\nbrowser: ${passed} passed, ${failed} failed`);
  if (process.env.TEST_SUMMARY_FILE) appendFileSync(process.env.TEST_SUMMARY_FILE, `${passed} ${failed} 0\n`);
  process.exit(failed || !results.length ? 1 : 0);
}

main()
  .catch((error) => {
    results.push({ error: error.message, label: 'set-up', ok: false });
    log(`\nBrowser test set-up failed: ${error.message}`);
    for (const child of children) log(`  (${child.label} log: ${child.logFile})`);
  })
  .then(cleanup)
  .then(finish, (error) => {
    log(`Clean-up failed: ${error.message}`);
    process.exitCode = 1;
    finish();
  });
