import { DomainError } from './domain.error';
import { databaseUnavailableError } from './error-response';

describe('databaseUnavailableError', () => {
  it.each([
    ['a connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['the server shutting down', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    ['a protocol violation (SQLSTATE class 08)', Object.assign(new Error('protocol violation'), { code: '08P01' })],
    ['a transaction whose outcome is unknown', Object.assign(new Error('resolution unknown'), { code: '08007' })],
    [
      'a write to a connection already gone',
      Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' }),
    ],
    ['a dead connection under TypeORM', { driverError: new Error('Connection terminated unexpectedly'), message: 'x' }],
    [
      "a transaction whose connection died before its COMMIT (TypeORM's released query runner)",
      Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), {
        name: 'QueryRunnerAlreadyReleasedError',
      }),
    ],
  ])('is 503 DATABASE_UNAVAILABLE for %s', (_, error) => {
    expect(databaseUnavailableError(error)).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
  });

  it('leaves query errors, domain errors and upstream socket errors alone', () => {
    expect(databaseUnavailableError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeUndefined();
    expect(databaseUnavailableError(Object.assign(new Error('syntax'), { code: '42601' }))).toBeUndefined();
    expect(databaseUnavailableError(new DomainError('BAD_REQUEST', 'no', 'bad_request'))).toBeUndefined();
    const axios = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', isAxiosError: true });
    expect(databaseUnavailableError(axios)).toBeUndefined();
  });
});
