import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';

import { DomainError, ErrorDetails } from './domain.error';
import { ERROR_STATUS } from './error-status.table';
import { requestIdOf } from '../http/request-id';

/** Every 4xx/5xx body: `{statusCode, error, message, code, request_id, details?}` (ApiErrorDto in OpenAPI). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  request_id: string;
  details?: ErrorDetails;
}

/** The error body for `status`; also used by handlers that answer outside Nest (the postback fast path). */
export function errorBody(
  status: number,
  code: string,
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
const BODY_PARSER_ERRORS: Record<string, { code: string; message: string }> = {
  'charset.unsupported': { code: 'UNSUPPORTED_CHARSET', message: 'The request body charset is not supported' },
  'encoding.unsupported': { code: 'UNSUPPORTED_ENCODING', message: 'The request body encoding is not supported' },
  'entity.parse.failed': {
    code: 'MALFORMED_BODY',
    message: 'The request body could not be parsed for its Content-Type',
  },
  'entity.too.deep': { code: 'BODY_TOO_DEEP', message: 'The request body nests deeper than allowed' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than allowed' },
  'entity.verify.failed': { code: 'MALFORMED_BODY', message: 'The request body could not be verified' },
  'parameters.too.many': { code: 'TOO_MANY_PARAMETERS', message: 'The request has too many form parameters' },
  'request.aborted': { code: 'REQUEST_ABORTED', message: 'The request was aborted by the client' },
  'request.size.invalid': { code: 'MALFORMED_BODY', message: 'The request body size does not match Content-Length' },
};

const HTTP_STATUS_CODES: Partial<Record<number, string>> = {
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

/**
 * The one place an error becomes a response: `{statusCode, error, message, code, request_id, details?}`.
 * Unknown errors answer a generic 500 with the request id and are logged with their cause; internals never
 * reach the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const exception = unstorableTextError(thrown) ?? thrown;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const requestId = requestIdOf(req, res);
    const body = this.toBody(exception, requestId);

    if (body.statusCode >= 500) {
      this.logger.error(
        { err: exception, code: body.code, request_id: requestId },
        `${req.method} ${req.path} failed with ${body.statusCode} ${body.code}`,
      );
    } else if (body.statusCode !== HttpStatus.NOT_FOUND) {
      this.logger.warn({ code: body.code, request_id: requestId }, `${req.method} ${req.path}: ${body.message}`);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (body.statusCode === HttpStatus.TOO_MANY_REQUESTS && !res.getHeader('Retry-After')) {
      res.setHeader('Retry-After', '60');
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    if (exception instanceof DomainError) {
      const statusCode = ERROR_STATUS[exception.kind];
      return errorBody(statusCode, exception.code, exception.message, requestId, exception.details);
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const message = messageOf(response) ?? exception.message;
      const code =
        (typeof response === 'object' && response && typeof (response as { code?: unknown }).code === 'string'
          ? (response as { code: string }).code
          : undefined) ??
        (statusCode === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)/.test(message)
          ? 'ROUTE_NOT_FOUND'
          : (HTTP_STATUS_CODES[statusCode] ?? (statusCode >= 500 ? 'INTERNAL_ERROR' : 'HTTP_ERROR')));
      return errorBody(statusCode, code, statusCode >= 500 ? 'Internal server error' : message, requestId);
    }
    const parserError = bodyParserError(exception);
    if (parserError) {
      return errorBody(parserError.status, parserError.code, parserError.message, requestId);
    }
    return errorBody(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'INTERNAL_ERROR',
      `Internal server error; quote request id ${requestId} when reporting it`,
      requestId,
    );
  }
}

function messageOf(response: string | object): string | undefined {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}

function bodyParserError(exception: unknown): { status: number; code: string; message: string } | undefined {
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
