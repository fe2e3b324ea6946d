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
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'upstream_bad_request'
  | 'upstream_rejected'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'internal';

export type ErrorDetails = Record<string, string[]>;

export class DomainError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `BAZAAR_TIMEOUT`. */
    readonly code: string,
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
  constructor(message: string, details: ErrorDetails, code = 'VALIDATION_FAILED') {
    super(code, message, 'validation', details);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message, 'not_found');
  }
}

export class ForbiddenError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message, 'forbidden');
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message, 'unauthenticated');
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message, 'conflict');
  }
}
