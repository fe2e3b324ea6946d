/**
 * When a failed delivery is tried again, and when an endpoint is given up on: pure, so the schedule is unit-tested
 * with an injected clock and random source. The schedule is Standard Webhooks' (and Svix's): after the first
 * attempt fails, again at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, each delay with +-20%
 * jitter so endpoints that come back are not hit by every gateway at the same second. EVENT_DELIVERY_RETRY_SCHEDULE
 * may set other delays (tests use short ones).
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];
/** The first attempt and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** An endpoint failing without a single success for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000;
/** The longest `Retry-After` honoured; a longer one is read as this. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
const JITTER = 0.2;

/** What one attempt came to, as the policy needs it. */
export interface AttemptOutcome {
  /** The HTTP status, or undefined when no response came (time-out, refused, DNS, blocked address). */
  statusCode?: number;
  /** The response's `Retry-After` header, if any. */
  retryAfter?: string;
}

export type DeliveryVerdict =
  | { kind: 'succeeded' }
  /** Try again `delayMs` from now. */
  | { kind: 'retry'; delayMs: number }
  /** Every attempt of the schedule failed: the delivery is given up (redeliver or replay sends it again). */
  | { kind: 'exhausted' }
  /** 410 Gone: the endpoint asked to stop; the subscription is disabled and this delivery waits for re-enabling. */
  | { kind: 'endpoint_gone' };

export const isSuccess = (statusCode: number | undefined): boolean =>
  statusCode !== undefined && statusCode >= 200 && statusCode < 300;

/**
 * The verdict after attempt number `attempt` (1-based). Only 2xx succeeds: a 3xx is a failure and never followed
 * (a redirect could point anywhere, past the URL checks).
 */
export function deliveryVerdict(
  attempt: number,
  outcome: AttemptOutcome,
  now: Date,
  random: () => number = Math.random,
  delays: readonly number[] = RETRY_DELAYS_MS,
): DeliveryVerdict {
  if (isSuccess(outcome.statusCode)) return { kind: 'succeeded' };
  if (outcome.statusCode === 410) return { kind: 'endpoint_gone' };
  if (attempt > delays.length) return { kind: 'exhausted' };
  const base = delays[attempt - 1];
  let delayMs = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  if (outcome.statusCode === 429 || outcome.statusCode === 503) {
    const asked = retryAfterMs(outcome.retryAfter, now);
    if (asked !== undefined) delayMs = Math.max(delayMs, asked);
  }
  return { delayMs, kind: 'retry' };
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 10.2.3), capped; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** True when an endpoint that has failed since `failingSince` (no success in between) is to be disabled now. */
export function failingTooLong(failingSince: Date | undefined, now: Date): boolean {
  return failingSince !== undefined && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_FAILING_MS;
}
