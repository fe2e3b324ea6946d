import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The parts of a better-sqlite3 connection the pragmas need. */
interface SqliteConnection {
  pragma(source: string): unknown;
  close?(): unknown;
  name?: string;
  memory?: boolean;
  readonly?: boolean;
}

/** How often the checkpointer runs, when it stops for want of work, and how often a stopped one looks for it. */
export interface CheckpointerTiming {
  /** How often the background connection copies committed WAL pages into the database file. */
  everyMs: number;
  /**
   * A checkpointer with nothing new to copy for this long stops: its thread is a whole V8 instance (~4-8 MB of an
   * idle gateway's resident memory).
   */
  idleMs: number;
  /** While none runs, how often the writer's WAL file is looked at; a commit since starts one again. */
  wakeEveryMs: number;
}

const CHECKPOINTER_TIMING: CheckpointerTiming = { everyMs: 100, idleMs: 10_000, wakeEveryMs: 500 };
/**
 * Pages in the WAL before the writer checkpoints on its own (SQLite's default is 1000). The background
 * checkpointer normally keeps far below it; it is the backstop if that thread falls behind or is gone.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/**
 * SQLite's page cache, in KiB (negative: a size, not a page count). The default 2 MiB holds little more than the
 * hot end of each index; with a million stored postbacks every insert's (registration_id, id) leaf is elsewhere,
 * and ingest fell to 0.25-0.61x an empty file's. 64 MiB brought it to 0.99x (npm run bench -- scale). It is an upper
 * bound: a small file never fills it.
 */
const CACHE_SIZE_KIB = 65_536;

/**
 * A second connection on a worker thread runs PASSIVE checkpoints, so the copy of WAL pages into the
 * database file (and its fsync) no longer blocks the event loop inside the COMMIT that crossed the
 * threshold: it was about a fifth of the database time under a postback stream. A PASSIVE checkpoint never
 * waits for or blocks the writer, and durability is unchanged (a commit is durable once in the WAL).
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let seen = '';
let changedAt = Date.now();
const timer = setInterval(() => {
  try {
    const [wal] = db.pragma('wal_checkpoint(PASSIVE)');
    const now = \`\${wal.log}:\${wal.checkpointed}\`;
    if (now !== seen) {
      seen = now;
      changedAt = Date.now();
    } else if (Date.now() - changedAt > workerData.idleMs) {
      stop();
    }
  } catch { /* busy: the next tick tries again */ }
}, workerData.everyMs);
function stop() { clearInterval(timer); db.close(); parentPort.close(); }
parentPort.once('message', stop);
`;

export const SqlitePragmas = {
  /**
   * WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode keeps every committed transaction
   * across a crash of the process (what kill -9 tests); only an OS crash or power loss can drop the last
   * commits, the standard trade-off for WAL.
   */
  apply(db: SqliteConnection, timing: CheckpointerTiming = CHECKPOINTER_TIMING): void {
    // Takes effect only while the file has no tables (a new database), and must come before WAL: pruned data's
    // pages can then be handed back with incremental_vacuum (RetentionJob). An older file keeps its mode.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = -${CACHE_SIZE_KIB}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    startCheckpointer(db, timing);
  },
};

function startCheckpointer(db: SqliteConnection, timing: CheckpointerTiming): void {
  if (db.memory || db.readonly || !db.name || typeof db.close !== 'function') return;
  const file = db.name;
  let worker: Worker | undefined;
  let walWrittenAt = walMtime(file);
  const start = () => {
    try {
      worker = new Worker(CHECKPOINTER_SOURCE, {
        eval: true,
        workerData: { driver: require.resolve('better-sqlite3'), everyMs: timing.everyMs, file, idleMs: timing.idleMs },
      });
    } catch {
      return; // The writer's own autocheckpoint still bounds the WAL.
    }
    worker.unref();
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      worker = undefined;
      walWrittenAt = walMtime(file);
    });
  };
  // A commit writes the WAL file, so a newer modification time means there is something to checkpoint again.
  const wake = setInterval(() => {
    if (worker) return;
    const writtenAt = walMtime(file);
    if (writtenAt !== walWrittenAt) start();
  }, timing.wakeEveryMs);
  wake.unref();
  start();
  const close = db.close.bind(db) as () => unknown;
  db.close = () => {
    clearInterval(wake);
    worker?.postMessage('close');
    return close();
  };
}

function walMtime(file: string): number {
  try {
    return statSync(`${file}-wal`).mtimeMs;
  } catch {
    return 0;
  }
}
