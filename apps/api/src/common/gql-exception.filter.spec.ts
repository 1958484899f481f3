import { QueryFailedError } from 'typeorm';
import { GqlErrorCode } from './errors';
import { toGraphQLError, formatGraphQLError, MAX_MESSAGE_CHARS } from './gql-exception.filter';

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

  it('answers a deadlock or serialization failure left after the retries with SERVICE_UNAVAILABLE, retryable, without SQL', () => {
    for (const code of ['40P01', '40001']) {
      const e = toGraphQLError(
        new QueryFailedError('DELETE FROM green_windows ...', [], driverError(code, 'deadlock detected')),
      );
      expect(e.extensions).toEqual({ code: GqlErrorCode.SERVICE_UNAVAILABLE, retryable: true });
      expect(e.message).toMatch(/nothing was saved/);
      expect(e.message).not.toMatch(/green_windows|deadlock/);
    }
  });

  it('still answers anything else with INTERNAL_SERVER_ERROR', () => {
    expect(toGraphQLError(new TypeError('boom')).extensions).toEqual({ code: GqlErrorCode.INTERNAL_SERVER_ERROR });
  });
});

describe('formatGraphQLError', () => {
  // found by a black-box review: booking(id: <400,000 characters>) answered a 400,018-character message
  it('cuts a message longer than MAX_MESSAGE_CHARS, saying how much was cut; keeps the code and field', () => {
    const long = `booking ${'x'.repeat(400_000)} not found`;
    const f = formatGraphQLError({ message: long, extensions: { code: 'NOT_FOUND', field: 'id' } });
    expect(f.message.length).toBeLessThan(MAX_MESSAGE_CHARS + 40);
    expect(f.message).toMatch(/^booking x+… \(398018 more characters\)$/);
    expect(f.extensions).toEqual({ code: 'NOT_FOUND', field: 'id' });
    const short = formatGraphQLError({ message: 'booking abc not found', extensions: { code: 'NOT_FOUND' } });
    expect(short.message).toBe('booking abc not found');
  });
});
