import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

import { freePort } from './free-port';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** The newest Debian PostgreSQL binaries (postgresql-NN), where initdb and pg_ctl live. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest || !existsSync(join(root, newest, 'bin', 'initdb'))) {
    throw new Error(`No PostgreSQL server binaries under ${root}/*/bin (apt-get install postgresql)`);
  }
  return join(root, newest, 'bin');
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp dir, a free port, its socket in the same dir), for
 * tests that stop and start the server: the machine's shared server must never be restarted under other tests.
 * As root the server runs as the `postgres` user (it refuses to run as root).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'gw-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  mkdirSync(sockets);
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const owner = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const group = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, owner, group);
    chownSync(sockets, owner, group);
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? 'runuser' : join(bin, tool),
      asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args,
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      },
    );
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c max_connections=60`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const stop = (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    destroy: () => {
      try {
        stop('immediate');
      } catch {
        // already stopped
      }
      rmSync(dir, { force: true, recursive: true });
    },
    start,
    stop: () => stop(),
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
  };
}
