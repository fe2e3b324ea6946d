/**
 * Child processes for the benchmarks and the soak run: the built apps each on a free loopback port, started,
 * awaited and stopped the same way everywhere.
 */
const { spawn } = require('node:child_process');
const net = require('node:net');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..');
const GATEWAY_MAIN = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
const SANDBOX_MAIN = join(ROOT, 'dist/apps/sandbox/main.js');

/** A loopback port nobody listens on right now. */
function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * `node [...nodeArgs] main` with `env` on top of this process's environment (or only PATH with `inheritEnv: false`).
 * stderr: 'inherit' (default), 'ignore', or 'capture' to keep it on `child.stderrText` for error messages.
 */
function startNode(main, env, { cwd, inheritEnv = true, nodeArgs = [], stderr = 'inherit' } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd,
    env: inheritEnv ? { ...process.env, ...env } : { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'ignore', stderr === 'capture' ? 'pipe' : stderr],
  });
  child.stderrText = '';
  if (stderr === 'capture') child.stderr.on('data', (chunk) => (child.stderrText += chunk));
  return child;
}

/** Polls `url` until it answers below 500; fails early when the child exits. */
async function waitUntilUp(url, child, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) {
      throw new Error(`${url}: server exited with ${child.exitCode}${child.stderrText ? `\n${child.stderrText}` : ''}`);
    }
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not come up`);
}

/** SIGTERM (the apps drain and close their database), SIGKILL if still running after `killAfterMs`. */
function stop(child, killAfterMs = 10_000) {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok();
    child.once('exit', ok);
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), killAfterMs).unref();
  });
}

module.exports = { GATEWAY_MAIN, ROOT, SANDBOX_MAIN, freePort, startNode, stop, waitUntilUp };
