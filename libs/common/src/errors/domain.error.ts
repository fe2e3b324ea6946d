import type { ErrorCode } from './error-codes';

/**
 * What went wrong, independent of transport. The exception filter turns each kind into one HTTP status
 * (see error-status.table.ts); services and clients never pick a status themselves.
 */
export type ErrorKind =
  | 'bad_request'
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'upstream_bad_request'
  | 'upstream_rejected'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'unavailable'
  | 'internal';

export type ErrorDetails = Record<string, string[]>;

export class DomainError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `BAZAAR_TIMEOUT`; listed in ERROR_CODES. */
    readonly code: ErrorCode,
    message: string,
    readonly kind: ErrorKind,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(message: string, details: ErrorDetails, code: ErrorCode = 'VALIDATION_FAILED') {
    super(code, message, 'validation', details);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: ErrorCode, message: string) {
    super(code, message, 'not_found');
  }
}

export class ForbiddenError extends DomainError {
  constructor(code: ErrorCode, message: string) {
    super(code, message, 'forbidden');
  }
}

/** The `WWW-Authenticate` challenge of the gateway's own API (bearer API keys and LMS user tokens). */
export const BEARER_CHALLENGE = 'Bearer realm="lms-gateway"';

export class UnauthenticatedError extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    /** What the 401's `WWW-Authenticate` asks for; the API's bearer challenge unless a route says otherwise. */
    readonly challenge = BEARER_CHALLENGE,
  ) {
    super(code, message, 'unauthenticated');
  }

  /** The same refusal under another route's challenge (the postback routes ask for HTTP Basic). */
  withChallenge(challenge: string): UnauthenticatedError {
    return new UnauthenticatedError(this.code, this.message, challenge);
  }
}

/** 429: the HTTP layer sends `Retry-After` with the seconds really left. */
export class RateLimitedError extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, 'rate_limited');
  }
}

/** 405: the path exists, with other methods; the HTTP layer sends `Allow`. */
export class MethodNotAllowedError extends DomainError {
  constructor(
    method: string,
    path: string,
    readonly allowed: string[],
  ) {
    super('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, 'method_not_allowed');
  }
}

/** 415: the request body's Content-Type is not one this route reads. */
export function unsupportedContentType(received: string, accepted: readonly string[]): DomainError {
  const rule = `Content-Type must be ${accepted.join(' or ')}`;
  const message = `${rule} (the request sent ${received || 'none'})`;
  return new DomainError('UNSUPPORTED_MEDIA_TYPE', message, 'unsupported_media_type', { 'Content-Type': [message] });
}

/** Too many failed authentications from one client address, on any route that authenticates. */
export function authRateLimited(retryAfterSeconds: number): RateLimitedError {
  return new RateLimitedError(
    'AUTH_RATE_LIMITED',
    `Too many failed authentication attempts; try again in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}

export class ConflictError extends DomainError {
  constructor(code: ErrorCode, message: string) {
    super(code, message, 'conflict');
  }
}
