import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './support/free-port';
import { spawnGateway } from './support/gateway-process';
import { gatewayEnv } from './support/stack';

/**
 * What an operator and a new user see: the gateway and `npm start` as processes, their output read as a person
 * would (one line for a failed start, one line per refused request, no route listing) and their stopping.
 */
const ROOT = join(__dirname, '..');
const ANSI = new RegExp(String.fromCharCode(27) + '\\[');

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

async function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('operator output', () => {
  let dir: string;
  let base: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-output-'));
    base = {
      ...gatewayEnv(await freePort(), await freePort(), `sqlite:${join(dir, 'gateway.sqlite')}`),
      LOG_LEVEL: 'info',
    };
    delete base.LOG_FILE;
  });
  afterAll(() => rmSync(dir, { force: true, recursive: true }));

  describe('a start that fails says why in one line', () => {
    async function failedStart(env: Record<string, string>): Promise<{ code: number | null; out: string[] }> {
      const gateway = spawnGateway({ ...base, PORT: String(await freePort()), ...env }, dir);
      const { code } = await gateway.exited;
      return { code, out: lines(gateway.output()) };
    }

    it('an unreachable database: one line naming DATABASE_URL without the password, no stack', async () => {
      const { code, out } = await failedStart({ DATABASE_URL: 'postgres://gw:hunter2@127.0.0.1:1/none' });
      expect(code).toBe(1);
      expect(out).toEqual([
        expect.stringMatching(
          /^LMS Gateway failed to start: Cannot open the database at DATABASE_URL=postgres:\/\/gw:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
        ),
      ]);
    });

    it('the stack and cause only at LOG_LEVEL=debug', async () => {
      const { out } = await failedStart({ DATABASE_URL: 'postgres://gw:hunter2@127.0.0.1:1/none', LOG_LEVEL: 'debug' });
      expect(out.join('\n')).toMatch(/^\s+at /m);
      expect(out.join('\n')).toMatch(/ECONNREFUSED/);
      expect(out.join('\n')).not.toContain('hunter2');
    });

    it('a SQLite path whose directory cannot be created names DATABASE_URL', async () => {
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      const { code, out } = await failedStart({ DATABASE_URL: `sqlite:${file}/sub/gateway.sqlite` });
      expect(code).toBe(1);
      expect(out).toEqual([
        `LMS Gateway failed to start: Cannot open the database at DATABASE_URL=sqlite:${file}/sub/gateway.sqlite: ` +
          `ENOTDIR: not a directory, mkdir '${file}/sub'`,
      ]);
    });

    it('a port in use is said once, naming PORT', async () => {
      const blocker = createServer();
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      try {
        const { code, out } = await failedStart({ HOST: '127.0.0.1', PORT: String(port) });
        expect(code).toBe(1);
        const said = out.filter((line) => /in use|EADDRINUSE/.test(line));
        expect(said).toEqual([
          `LMS Gateway failed to start: 127.0.0.1:${port} is already in use (PORT=${port}); stop what holds it or set PORT`,
        ]);
      } finally {
        blocker.close();
      }
    });
  });

  it('logs one line per refused request and no route listing at start', async () => {
    const gateway = spawnGateway({ ...base, PORT: String(await freePort()) }, dir);
    try {
      await gateway.waitHealthy(60_000);
      const requestId = 'output-test-401';
      const res = await fetch(`${gateway.url}/api/v1/me`, { headers: { 'X-Request-Id': requestId } });
      expect(res.status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const out = lines(gateway.output());
      const about = out.filter((line) => line.includes(requestId));
      expect(about).toHaveLength(1);
      expect(JSON.parse(about[0])).toMatchObject({
        code: 'AUTH_MISSING',
        level: 40,
        msg: 'GET /api/v1/me 401 AUTH_MISSING: An Authorization: Bearer <token> header is required',
        res: { statusCode: 401 },
      });
      expect(out.some((line) => /RoutesResolver|RouterExplorer|InstanceLoader/.test(line))).toBe(false);
      expect(out.length).toBeLessThan(10);
    } finally {
      await gateway.stop();
    }
  });

  describe('npm run keys', () => {
    it('runs before any npm install (no node_modules), reads .env, writes the private key 0640 and gives the pair to a group', () => {
      // A checkout of its own in a temp dir: nothing but the script, so a require of a dependency would fail.
      const checkout = mkdtempSync(join(tmpdir(), 'gw-keys-'));
      try {
        mkdirSync(join(checkout, 'scripts'));
        copyFileSync(join(ROOT, 'scripts/generate-keys.js'), join(checkout, 'scripts/generate-keys.js'));
        writeFileSync(
          join(checkout, '.env'),
          'SCORM_PRIVATE_KEY_PATH=secrets/private.pem\nSCORM_PUBLIC_KEY_PATH="secrets/public.pem"\n',
        );
        const gid = process.getgid!();
        const keys = (...args: string[]) =>
          spawnSync(process.execPath, ['scripts/generate-keys.js', ...args], {
            cwd: checkout,
            encoding: 'utf8',
            env: { PATH: process.env.PATH ?? '' },
          });

        const first = keys('--group', String(gid));
        expect(first.stderr).toBe('');
        expect(first.status).toBe(0);
        const privateKey = statSync(join(checkout, 'secrets/private.pem'));
        expect(privateKey.mode & 0o777).toBe(0o640);
        expect(privateKey.gid).toBe(gid);
        expect(statSync(join(checkout, 'secrets/public.pem')).mode & 0o777).toBe(0o644);

        // An existing pair: refused without --force, only re-grouped with --group.
        expect(keys().status).toBe(1);
        const again = keys('--group', String(gid));
        expect(again.status).toBe(0);
        expect(again.stdout).toMatch(/belong to group/);
        expect(keys('--group', 'staff').status).toBe(2);
      } finally {
        rmSync(checkout, { force: true, recursive: true });
      }
    });
  });

  describe('npm start', () => {
    const built = ['dist/apps/api/apps/api/src/main.js', 'dist/apps/sandbox/main.js'].every((f) =>
      existsSync(join(ROOT, f)),
    );

    async function npmStart() {
      const [gatewayPort, sandboxPort] = [await freePort(), await freePort()];
      const work = mkdtempSync(join(dir, 'start-'));
      const child = spawn('npm', ['start'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? work,
          SKIP_BUILD: '1',
          PORT: String(gatewayPort),
          SANDBOX_PORT: String(sandboxPort),
          DATABASE_URL: `sqlite:${join(work, 'gateway.sqlite')}`,
          SANDBOX_STATE_FILE: join(work, 'sandbox.json'),
          SCORM_PRIVATE_KEY_PATH: join(work, 'keys/private.pem'),
          SCORM_PUBLIC_KEY_PATH: join(work, 'keys/public.pem'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const deadline = Date.now() + 90_000;
      while (!output.includes('LMS Gateway is running')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const pids = [
        ...new Set(
          lines(output)
            .filter((line) => line.startsWith('{'))
            .map((line) => (JSON.parse(line) as { pid: number }).pid),
        ),
      ];
      return { child, gatewayPort, output: () => output, pids, sandboxPort };
    }

    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${signal} to the npm process stops both apps within seconds and frees their ports`, async () => {
        expect(built).toBe(true); // npm start runs dist/ (npm run build first)
        const started = await npmStart();
        expect(started.pids).toHaveLength(2);
        // Plain pino JSON from both apps when not in a terminal: no colour codes, no route listing.
        expect(started.output()).not.toMatch(ANSI);
        expect(started.output()).not.toMatch(/RoutesResolver|Mapped \{/);

        try {
          const sentAt = Date.now();
          started.child.kill(signal);
          while (started.pids.some(alive) && Date.now() - sentAt < 10_000) {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          expect(started.pids.filter(alive)).toEqual([]);
          expect(Date.now() - sentAt).toBeLessThan(10_000);
          expect(await listenable(started.gatewayPort)).toBe(true);
          expect(await listenable(started.sandboxPort)).toBe(true);
          expect(started.output()).toContain('Stopping the gateway and the sandbox');
        } finally {
          for (const pid of started.pids.filter(alive)) process.kill(pid, 'SIGKILL');
          if (started.child.exitCode === null) started.child.kill('SIGKILL');
        }
      });
    }
  });
});
