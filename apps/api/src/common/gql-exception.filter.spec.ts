import { QueryFailedError } from 'typeorm';
import { GqlErrorCode } from './errors';
import { toGraphQLError } from './gql-exception.filter';

const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('toGraphQLError for database failures', () => {
  it('answers a statement or lock timeout with TIMEOUT, retryable, without SQL', () => {
    const e = toGraphQLError(
      new QueryFailedError(
        'UPDATE cluster_hours SET ...',
        [],
        driverError('57014', 'canceling statement due to statement timeout'),
      ),
    );
    expect(e.extensions).toEqual({ code: GqlErrorCode.TIMEOUT, retryable: true });
    expect(e.message).not.toMatch(/cluster_hours|statement timeout/);
  });

  it('answers an unreachable database with SERVICE_UNAVAILABLE, retryable', () => {
    const e = toGraphQLError(driverError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'));
    expect(e.extensions).toEqual({ code: GqlErrorCode.SERVICE_UNAVAILABLE, retryable: true });
    expect(e.message).not.toContain('127.0.0.1');
  });

  it('still answers anything else with INTERNAL_SERVER_ERROR', () => {
    expect(toGraphQLError(new TypeError('boom')).extensions).toEqual({ code: GqlErrorCode.INTERNAL_SERVER_ERROR });
  });
});
