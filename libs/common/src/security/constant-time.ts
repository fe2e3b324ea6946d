import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Compares two secrets without leaking where they differ or how long they are: both sides are hashed to
 * 32 bytes first, so timingSafeEqual always sees equal lengths.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
