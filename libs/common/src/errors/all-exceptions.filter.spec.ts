import { ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';

import { AllExceptionsFilter } from './all-exceptions.filter';
import { bodyTooLarge } from '../http/body-limits';
import { DomainError, UnauthenticatedError, ValidationFailedError, authRateLimited } from './domain.error';
import { errorResponse } from './error-response';

function run(exception: unknown) {
  const res = {
    body: undefined as unknown,
    getHeader: () => undefined,
    headersSent: false,
    setHeader: jest.fn(),
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
      return this;
    },
    statusCode: 0,
  };
  const req = { headers: {}, id: 'req-12345678', method: 'GET', path: '/x' };
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(exception, host);
  return res;
}

describe('AllExceptionsFilter', () => {
  // The filter logs every error it answers; keep the test output for test results.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  it('maps domain error kinds through the one status table', () => {
    expect(run(new DomainError('BAZAAR_TIMEOUT', 'Bazaar did not answer', 'upstream_timeout')).body).toEqual({
      code: 'BAZAAR_TIMEOUT',
      error: 'Gateway Timeout',
      message: 'Bazaar did not answer',
      request_id: 'req-12345678',
      statusCode: 504,
    });
    expect(run(new DomainError('BAD_REQUEST', 'm', 'upstream_bad_request')).statusCode).toBe(400);
    expect(run(new DomainError('BAD_REQUEST', 'm', 'upstream_rejected')).statusCode).toBe(502);
  });

  it('carries validation details', () => {
    const res = run(new ValidationFailedError('email must be an email', { email: ['email must be an email'] }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { email: ['email must be an email'] } });
  });

  it('maps Nest HTTP exceptions and body-parser errors to codes', () => {
    expect(run(new NotFoundException('Cannot GET /nope')).body).toMatchObject({
      code: 'ROUTE_NOT_FOUND',
      statusCode: 404,
    });
    expect(run(new BadRequestException('bad')).body).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 });
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
    expect(run(tooLarge).body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', statusCode: 413 });
  });

  it('answers a value PostgreSQL cannot store (U+0000, SQLSTATE 22021) with 400, wrapped by TypeORM or not', () => {
    const pgError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const queryFailed = Object.assign(new Error(pgError.message), { driverError: pgError, name: 'QueryFailedError' });
    for (const exception of [pgError, queryFailed]) {
      const res = run(exception);
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatchObject({ code: 'UNSTORABLE_CHARACTER', statusCode: 400 });
    }
    expect(run(Object.assign(new Error('deadlock detected'), { code: '40P01' })).statusCode).toBe(500);
  });

  it('never leaks an unknown error', () => {
    const res = run(new Error('SELECT * FROM secrets failed at /app/x.ts:10'));
    expect(res.statusCode).toBe(500);
    expect(res.body).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(res.body)).not.toContain('secrets');
  });
});

describe('errorResponse', () => {
  it('derives the headers from the error: the challenge of a 401, the time left of a 429', () => {
    expect(errorResponse(new UnauthenticatedError('AUTH_MISSING', 'm'), 'r').headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="lms-gateway"',
    });
    const basic = new UnauthenticatedError('WEBHOOK_CREDENTIALS_INVALID', 'm').withChallenge('Basic realm="x"');
    expect(errorResponse(basic, 'r')).toMatchObject({
      headers: { 'WWW-Authenticate': 'Basic realm="x"' },
      status: 401,
    });
    expect(errorResponse(authRateLimited(17), 'r')).toMatchObject({ headers: { 'Retry-After': '17' }, status: 429 });
    expect(errorResponse(bodyTooLarge(), 'r')).toMatchObject({ headers: { Connection: 'close' }, status: 413 });
  });
});
