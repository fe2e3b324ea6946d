import { HttpStatus } from '@nestjs/common';

import type { ErrorKind } from './domain.error';

/** The single place where a domain error kind becomes an HTTP status. */
export const ERROR_STATUS: Readonly<Record<ErrorKind, HttpStatus>> = {
  bad_request: HttpStatus.BAD_REQUEST,
  conflict: HttpStatus.CONFLICT,
  forbidden: HttpStatus.FORBIDDEN,
  gone: HttpStatus.GONE,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
  method_not_allowed: HttpStatus.METHOD_NOT_ALLOWED,
  not_found: HttpStatus.NOT_FOUND,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  // Our own database is down: nothing was done, and the caller may retry (SCORM Cloud does, on any 5xx).
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  // An upstream 400 is the caller's input that the upstream refused: it stays a 400 carrying the upstream text.
  upstream_bad_request: HttpStatus.BAD_REQUEST,
  upstream_rejected: HttpStatus.BAD_GATEWAY,
  upstream_timeout: HttpStatus.GATEWAY_TIMEOUT,
  upstream_unavailable: HttpStatus.BAD_GATEWAY,
  validation: HttpStatus.BAD_REQUEST,
};
