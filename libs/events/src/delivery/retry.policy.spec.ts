import { FixedClock } from '@app/common';

import {
  DISABLE_AFTER_FAILING_MS,
  MAX_ATTEMPTS,
  RETRY_DELAYS_MS,
  deliveryVerdict,
  failingTooLong,
  retryAfterMs,
} from './retry.policy';

describe('delivery retry policy', () => {
  const clock = new FixedClock(new Date('2026-11-28T08:00:00.000Z'));
  const middle = () => 0.5;

  it('succeeds on 2xx only; 3xx is a failure (never followed)', () => {
    for (const status of [200, 201, 204, 299]) {
      expect(deliveryVerdict(1, { statusCode: status }, clock.now())).toEqual({ kind: 'succeeded' });
    }
    for (const status of [301, 302, 307, 308, 400, 404, 500]) {
      expect(deliveryVerdict(1, { statusCode: status }, clock.now(), middle).kind).toBe('retry');
    }
    expect(deliveryVerdict(1, {}, clock.now(), middle).kind).toBe('retry');
  });

  it('retries at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up', () => {
    const delays = [];
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const verdict = deliveryVerdict(attempt, { statusCode: 500 }, clock.now(), middle);
      expect(verdict.kind).toBe('retry');
      delays.push(verdict.kind === 'retry' ? verdict.delayMs : -1);
    }
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(MAX_ATTEMPTS).toBe(9);
    expect(deliveryVerdict(MAX_ATTEMPTS, { statusCode: 500 }, clock.now())).toEqual({ kind: 'exhausted' });
  });

  it('jitters each delay within +-20%', () => {
    const low = deliveryVerdict(3, { statusCode: 500 }, clock.now(), () => 0);
    const high = deliveryVerdict(3, { statusCode: 500 }, clock.now(), () => 0.999999);
    expect(low).toEqual({ delayMs: RETRY_DELAYS_MS[2] * 0.8, kind: 'retry' });
    expect(high.kind === 'retry' && high.delayMs).toBeLessThanOrEqual(RETRY_DELAYS_MS[2] * 1.2);
    expect(high.kind === 'retry' && high.delayMs).toBeGreaterThan(RETRY_DELAYS_MS[2] * 1.19);
  });

  it('honours Retry-After on 429 and 503 (seconds or an HTTP date), never retrying sooner than the schedule', () => {
    expect(deliveryVerdict(1, { retryAfter: '120', statusCode: 429 }, clock.now(), middle)).toEqual({
      delayMs: 120_000,
      kind: 'retry',
    });
    const date = new Date(clock.now().getTime() + 90_000).toUTCString();
    expect(deliveryVerdict(2, { retryAfter: date, statusCode: 503 }, clock.now(), middle)).toEqual({
      delayMs: 90_000,
      kind: 'retry',
    });
    // Shorter than the schedule's own delay: the schedule wins.
    expect(deliveryVerdict(3, { retryAfter: '1', statusCode: 503 }, clock.now(), middle)).toEqual({
      delayMs: 300_000,
      kind: 'retry',
    });
    // Only 429 and 503 carry a meaningful Retry-After here.
    expect(deliveryVerdict(1, { retryAfter: '120', statusCode: 500 }, clock.now(), middle)).toEqual({
      delayMs: 0,
      kind: 'retry',
    });
    expect(retryAfterMs('soon', clock.now())).toBeUndefined();
    expect(retryAfterMs('99999999', clock.now())).toBe(24 * 3_600_000);
  });

  it('410 Gone disables the endpoint', () => {
    expect(deliveryVerdict(1, { statusCode: 410 }, clock.now())).toEqual({ kind: 'endpoint_gone' });
  });

  it('disables an endpoint failing for 5 days without a success', () => {
    const since = clock.now();
    expect(failingTooLong(undefined, clock.now())).toBe(false);
    clock.advance(DISABLE_AFTER_FAILING_MS - 1);
    expect(failingTooLong(since, clock.now())).toBe(false);
    clock.advance(1);
    expect(failingTooLong(since, clock.now())).toBe(true);
  });
});

describe('a configured retry schedule', () => {
  it('uses the given delays and gives up after them', () => {
    const now = new Date();
    const delays = [0, 200];
    expect(deliveryVerdict(1, { statusCode: 500 }, now, () => 0.5, delays)).toEqual({ delayMs: 0, kind: 'retry' });
    expect(deliveryVerdict(2, { statusCode: 500 }, now, () => 0.5, delays)).toEqual({ delayMs: 200, kind: 'retry' });
    expect(deliveryVerdict(3, { statusCode: 500 }, now, () => 0.5, delays)).toEqual({ kind: 'exhausted' });
  });
});
