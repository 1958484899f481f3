import { ExecutionArgs, GraphQLError, parse } from 'graphql';
import { graphqlWsOptions } from './graphql-ws.options';

describe('graphql-ws options: what a subscription keeps between events', () => {
  const options = graphqlWsOptions({ maxQueryDepth: 10, maxQueryCost: 1_000 });
  const args = { document: parse('subscription { utilizationChanged { hour } }') } as unknown as ExecutionArgs;

  // graphql-ws's loop holds the last result of every subscription until its next event: 2,000
  // subscribers sent a 2,000-hour change held 2,000 payloads, and a 512 MB heap ran out
  it('the message takes the data and the result lets go of it, so an idle subscriber holds none of its last payload', () => {
    const hours = Array.from({ length: 3 }, (_, i) => ({ hour: new Date(i * 3_600_000).toISOString() }));
    const result = { data: { utilizationChanged: hours } };
    const sent = options.onNext(undefined, '1', undefined, args, result);
    expect(sent).toEqual({ data: { utilizationChanged: hours } });
    expect(result.data).toBeUndefined();
  });

  it('errors are still shaped as over HTTP (a code, no stack), with the data beside them', () => {
    const result = {
      data: null,
      errors: [new GraphQLError('the API key is unknown or revoked', { extensions: { code: 'UNAUTHENTICATED' } })],
    };
    const sent = options.onNext(undefined, '1', undefined, args, result);
    expect(sent).toEqual({
      data: null,
      errors: [
        expect.objectContaining({
          message: 'the API key is unknown or revoked',
          extensions: { code: 'UNAUTHENTICATED' },
        }),
      ],
    });
    expect(result.data).toBeUndefined();
  });
});
