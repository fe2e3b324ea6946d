import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const BUILT_GATEWAY = join(ROOT, 'dist/apps/api/apps/api/src/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built gateway (`npm run build`, what production runs) when dist/ is at least as new as the sources;
 * otherwise the sources through swc, so a stale build is never what a test measures.
 */
export function gatewayCommand(): { args: string[]; built: boolean } {
  const fresh =
    existsSync(BUILT_GATEWAY) &&
    statSync(BUILT_GATEWAY).mtimeMs >= Math.max(newestSource(join(ROOT, 'libs')), newestSource(join(ROOT, 'apps/api')));
  if (fresh || process.env.GATEWAY_PROCESS === 'dist') return { args: [BUILT_GATEWAY], built: true };
  return { args: ['-r', join(ROOT, 'test/support/swc-register.js'), join(ROOT, 'apps/api/src/main.ts')], built: false };
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  built: boolean;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitHealthy(timeoutMs?: number): Promise<void>;
  rssKb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the gateway as its own process, configured only by `env` (nothing inherited but PATH). */
export function spawnGateway(env: Record<string, string>, cwd: string): GatewayProcess {
  const { args, built } = gatewayCommand();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  let done = false;
  void exited.then(() => (done = true));
  return {
    built,
    child,
    exited,
    output: () => output,
    rssKb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      } catch {
        return 0;
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (!done) child.kill(signal);
      await exited;
    },
    url,
    waitHealthy: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (done) throw new Error(`the gateway exited during start-up:\n${output}`);
        try {
          const res = await fetch(`${url}/health/ready`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the gateway was not ready within ${timeoutMs} ms:\n${output}`);
    },
  };
}
