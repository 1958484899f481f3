import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { databaseFailure } from './data-source';

const pg = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('databaseFailure', () => {
  it('names statement and lock timeouts "timeout", also wrapped by TypeORM', () => {
    expect(databaseFailure(pg('57014', 'canceling statement due to statement timeout'))).toBe('timeout');
    expect(databaseFailure(Object.assign(new Error('q'), { driverError: pg('55P03') }))).toBe('timeout');
  });

  it('names refused, dropped and shutting-down connections and pool wait timeouts "unavailable"', () => {
    // 25P03 / 57P05: the server ended a session its frozen or stalled client left idle
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '25P03', '57P05'])
      expect(databaseFailure(pg(code))).toBe('unavailable');
    expect(databaseFailure(new Error('timeout exceeded when trying to connect'))).toBe('unavailable');
    expect(databaseFailure(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(databaseFailure(new QueryRunnerAlreadyReleasedError())).toBe('unavailable');
    expect(databaseFailure(new QueryRunnerProviderAlreadyReleasedError())).toBe('unavailable');
  });

  it('leaves constraint violations and programming errors alone', () => {
    expect(databaseFailure(pg('23514'))).toBeUndefined();
    expect(databaseFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(databaseFailure(undefined)).toBeUndefined();
  });
});
