import { ExecutionResult, FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { formatGraphQLError, toGraphQLError } from '../common/gql-exception.filter';

type Formattable = Parameters<typeof formatGraphQLError>[0];

/** `Authorization: Bearer <key>` from the connection parameters (any capitalisation of the name). */
function authorization(params: Record<string, unknown> | undefined): string | undefined {
  if (!params) return undefined;
  const v = params.authorization ?? params.Authorization;
  return typeof v === 'string' ? v : undefined;
}

/** Errors thrown while events flow arrive wrapped by graphql-ws: map the original like the filter does. */
function format(errors: readonly GraphQLError[]): GraphQLFormattedError[] {
  return errors.map((e) => {
    const inner = e.originalError;
    const g = inner && !(inner instanceof GraphQLError) ? toGraphQLError(inner) : e;
    return formatGraphQLError(g.toJSON() as Formattable) as GraphQLFormattedError;
  });
}

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the same /graphql path. Subscriptions
 * authenticate with the same API keys as HTTP: `connectionParams.authorization` becomes the
 * request header that the global AuthGuard reads when a subscription starts, and errors are
 * shaped by the same formatter as over HTTP.
 */
export function graphqlWsOptions() {
  return {
    path: '/graphql',
    context: (ctx: { connectionParams?: Record<string, unknown> }) => ({ req: { headers: { authorization: authorization(ctx.connectionParams) } } }),
    onError: (_ctx: unknown, _id: string, _payload: unknown, errors: readonly GraphQLError[]) => format(errors),
    onNext: (_ctx: unknown, _id: string, _payload: unknown, _args: unknown, result: ExecutionResult): FormattedExecutionResult | void =>
      result.errors?.length ? { ...result, errors: format(result.errors) } : undefined,
  };
}
