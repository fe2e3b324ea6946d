import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SqlitePragmas } from './sqlite-pragmas';

/** This process's threads: the checkpointer is a worker thread of its own. */
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('SqlitePragmas checkpointer', () => {
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pragmas-'))));
  afterEach(() => rmSync(dir, { force: true, recursive: true }));

  it('stops when there is nothing to copy, starts again on the next commit, and stops with the connection', async () => {
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    await stat(dir); // libuv's thread pool starts with the first asynchronous call: not during the count below
    const before = threads();
    SqlitePragmas.apply(db, { everyMs: 10, idleMs: 300, wakeEveryMs: 20 });
    db.exec('CREATE TABLE t (v TEXT)');
    await until(() => threads() === before + 1, 'the checkpointer to start');
    await until(() => threads() === before, 'the idle checkpointer to stop');

    db.prepare('INSERT INTO t (v) VALUES (?)').run('x'.repeat(10_000));
    await until(() => threads() === before + 1, 'a commit to start the checkpointer again');
    db.close();
    await until(() => threads() === before, 'the checkpointer to stop with the connection');
  });
});
