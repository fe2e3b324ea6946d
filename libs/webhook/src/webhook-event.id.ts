import { randomUUID } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * UUIDv7-style event ids (RFC 9562): a millisecond timestamp, then a counter that keeps ids from one process
 * strictly increasing, then random bits. Sorting by id is receive order, which "newest first" paging needs
 * when thousands of postbacks share one millisecond. The random part comes from randomUUID's buffered
 * entropy rather than a randomBytes call per id.
 */
export function newWebhookEventId(now = Date.now()): string {
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
