import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

import { bodyTooLarge } from '../http/body-limits';
import {
  BEARER_CHALLENGE,
  DomainError,
  ErrorDetails,
  MethodNotAllowedError,
  RateLimitedError,
  UnauthenticatedError,
} from './domain.error';
import { ErrorCode, isErrorCode } from './error-codes';
import { ERROR_STATUS } from './error-status.table';

/** Every 4xx/5xx body: `{statusCode, error, message, code, request_id, details?}` (ApiErrorDto in OpenAPI). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: ErrorCode;
  request_id: string;
  details?: ErrorDetails;
}

/** Everything an error answer consists of; whoever writes it (Nest, the postback fast path) writes all of it. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
  /** The error really answered (a database refusal of the request's text becomes a DomainError). */
  error: unknown;
}

export function errorBody(
  status: number,
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: ErrorDetails,
): ErrorBody {
  return {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    message,
    code,
    request_id: requestId,
    ...(details ? { details } : {}),
  };
}

/** When a 429 does not say how long it lasts (the auth-failure block is a minute). */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * The one place where anything thrown while serving a request becomes status, headers and body. Unknown errors
 * answer a generic 500 with the request id: internals never reach the client.
 */
export function errorResponse(thrown: unknown, requestId: string): ErrorResponse {
  const error = unstorableTextError(thrown) ?? databaseUnavailableError(thrown) ?? thrown;
  const body = toBody(error, requestId);
  const headers: Record<string, string> = {};
  if (body.statusCode === HttpStatus.UNAUTHORIZED) {
    headers['WWW-Authenticate'] = error instanceof UnauthenticatedError ? error.challenge : BEARER_CHALLENGE;
  }
  if (body.statusCode === HttpStatus.TOO_MANY_REQUESTS) {
    const seconds = error instanceof RateLimitedError ? error.retryAfterSeconds : DEFAULT_RETRY_AFTER_SECONDS;
    headers['Retry-After'] = String(seconds);
  }
  if (error instanceof MethodNotAllowedError) headers.Allow = error.allowed.join(', ');
  if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) headers['Retry-After'] = String(UNAVAILABLE_RETRY_SECONDS);
  // A refused body may still be arriving: close the connection rather than read it to the end.
  if (body.statusCode === HttpStatus.PAYLOAD_TOO_LARGE) headers.Connection = 'close';
  return { body, error, headers, status: body.statusCode };
}

/** How soon a client may retry while the database is unreachable (the gateway reconnects by itself). */
const UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * What the pg driver and its pool report when the server is down, restarting or unreachable: SQLSTATE class 08
 * (connection exception, every code of it: 08P01 and 08007 too), 57P01-57P03 (shut down by the administrator, crash,
 * cannot connect now), 53300 (too many connections), socket errors and writes to a socket already gone, and the
 * pool's own messages; also TypeORM's released query runner, which is what a transaction meets at COMMIT when its
 * connection died under it (the COMMIT was never sent, so nothing committed).
 */
const CONNECTION_EXCEPTION_CLASS = /^08[0-9A-Z]{3}$/;
const DATABASE_DOWN_CODES = new Set([
  '53300',
  '57P01',
  '57P02',
  '57P03',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);
const DATABASE_DOWN_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|the database system is (starting up|shutting down|in recovery)|terminating connection due to administrator command|Query runner already released/;

/** The database connection failed (not the query): 503 DATABASE_UNAVAILABLE, never a 500; undefined otherwise. */
export function databaseUnavailableError(exception: unknown): DomainError | undefined {
  if (!exception || typeof exception !== 'object' || exception instanceof DomainError) return undefined;
  // An outbound HTTP client's socket error is an upstream's failure, mapped by that client, never ours.
  if ((exception as { isAxiosError?: unknown }).isAxiosError) return undefined;
  const { code, driverError, message } = exception as { code?: unknown; driverError?: unknown; message?: unknown };
  const down =
    (typeof code === 'string' && (DATABASE_DOWN_CODES.has(code) || CONNECTION_EXCEPTION_CLASS.test(code))) ||
    (typeof message === 'string' && DATABASE_DOWN_MESSAGES.test(message)) ||
    (driverError !== exception && databaseUnavailableError(driverError) !== undefined);
  if (!down) return undefined;
  return new DomainError(
    'DATABASE_UNAVAILABLE',
    'The gateway cannot reach its database; nothing was stored or changed. Try again shortly.',
    'unavailable',
  );
}

/** SQLSTATE 22021: PostgreSQL text cannot hold U+0000, which a client can put in any path, query or body. */
const PG_CHARACTER_NOT_IN_REPERTOIRE = '22021';

/**
 * A database refusal caused by the request's own text, as a 400; undefined for anything else. The pg error
 * arrives bare (raw driver queries) or wrapped by TypeORM as `driverError`.
 */
export function unstorableTextError(exception: unknown): DomainError | undefined {
  if (!exception || typeof exception !== 'object' || exception instanceof DomainError) return undefined;
  const { code, driverError } = exception as { code?: unknown; driverError?: { code?: unknown } };
  if (code !== PG_CHARACTER_NOT_IN_REPERTOIRE && driverError?.code !== PG_CHARACTER_NOT_IN_REPERTOIRE) return undefined;
  return new DomainError(
    'UNSTORABLE_CHARACTER',
    'The request contains a character that cannot be stored (U+0000)',
    'bad_request',
  );
}

/** body-parser reports its failures as plain errors carrying `type` and `status`. */
const BODY_PARSER_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  'charset.unsupported': { code: 'UNSUPPORTED_CHARSET', message: 'The request body charset is not supported' },
  'encoding.unsupported': { code: 'UNSUPPORTED_ENCODING', message: 'The request body encoding is not supported' },
  'entity.parse.failed': {
    code: 'MALFORMED_BODY',
    message: 'The request body could not be parsed for its Content-Type',
  },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: bodyTooLarge().message },
  'entity.verify.failed': { code: 'MALFORMED_BODY', message: 'The request body could not be verified' },
  'parameters.too.many': { code: 'TOO_MANY_PARAMETERS', message: 'The request has too many form parameters' },
  'request.aborted': { code: 'REQUEST_ABORTED', message: 'The request was aborted by the client' },
  'request.size.invalid': { code: 'MALFORMED_BODY', message: 'The request body size does not match Content-Length' },
};

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

function toBody(exception: unknown, requestId: string): ErrorBody {
  if (exception instanceof DomainError) {
    return errorBody(ERROR_STATUS[exception.kind], exception.code, exception.message, requestId, exception.details);
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const message = messageOf(response) ?? exception.message;
    const code =
      (typeof response === 'object' && response && isErrorCode((response as { code?: unknown }).code)
        ? (response as { code: ErrorCode }).code
        : undefined) ??
      (statusCode === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)/.test(message)
        ? 'ROUTE_NOT_FOUND'
        : (HTTP_STATUS_CODES[statusCode] ?? (statusCode >= 500 ? 'INTERNAL_ERROR' : 'HTTP_ERROR')));
    return errorBody(statusCode, code, statusCode >= 500 ? 'Internal server error' : message, requestId);
  }
  const parserError = bodyParserError(exception);
  if (parserError) return errorBody(parserError.status, parserError.code, parserError.message, requestId);
  return errorBody(
    HttpStatus.INTERNAL_SERVER_ERROR,
    'INTERNAL_ERROR',
    `Internal server error; quote request id ${requestId} when reporting it`,
    requestId,
  );
}

function messageOf(response: string | object): string | undefined {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}

function bodyParserError(exception: unknown): { status: number; code: ErrorCode; message: string } | undefined {
  if (!exception || typeof exception !== 'object') return undefined;
  const { type, status, expose } = exception as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const known = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (known) return { status, ...known };
  // body-parser passes other read failures (a corrupt gzip or deflate stream) on as bare client http-errors.
  if (expose === true) {
    return { code: 'MALFORMED_BODY', message: 'The request body could not be read for its Content-Encoding', status };
  }
  return undefined;
}
