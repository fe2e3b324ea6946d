import { createServer } from 'node:net';

/**
 * Ports the tests hand out: below Linux's ephemeral range (32768-60999), so no outgoing connection and no `listen(0)`
 * ever takes one, and a block of its own for each jest worker. Asking the kernel for a free port instead (`listen(0)`,
 * then closing it) let two workers be handed the same port a moment apart, and the second to listen failed with
 * EADDRINUSE (seen in CI under load).
 */
const FIRST_PORT = 20_000;
const BLOCK = 1_000;
const BLOCKS = 12;
const worker = Number(process.env.JEST_WORKER_ID ?? 0);
const first = FIRST_PORT + (worker % BLOCKS) * BLOCK;
/** Where this process goes on in its block: from a random start, so two runs side by side rarely meet. */
let cursor = Math.floor(Math.random() * BLOCK);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on right now, so suites run in parallel and beside `npm start`. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = first + (cursor++ % BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${first}-${first + BLOCK - 1}`);
}
