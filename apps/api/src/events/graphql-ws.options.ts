import {
  DocumentNode,
  execute,
  ExecutionArgs,
  ExecutionResult,
  FormattedExecutionResult,
  GraphQLError,
  GraphQLFormattedError,
  getOperationAST,
  GraphQLSchema,
  Kind,
  NoSchemaIntrospectionCustomRule,
  OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { GqlErrorCode } from '../common/errors';
import { formatGraphQLError, toGraphQLError, withoutSuggestions } from '../common/gql-exception.filter';
import { nameInputFields } from '../common/input-field.plugin';
import {
  depthLimitRule,
  limitServedRows,
  oneMutationRule,
  queryCostError,
  rootFieldCount,
} from '../common/query-limits';
import { rateLimitError } from '../security/rate-limit.plugin';
import type { TokenBucketLimiter } from '../security/rate-limiter';
import { subscribeShared } from './shared-subscribe';

/** Open subscriptions per WebSocket connection; more are refused, so one socket cannot pile up listeners. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

/** `Authorization: Bearer <key>` from the connection parameters (any capitalisation of the name). */
function authorization(params: Record<string, unknown> | undefined): string | undefined {
  if (!params) return undefined;
  const v = params.authorization ?? params.Authorization;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Root fields of the operation a subscribe message carries (at least 1; a document that does not
 * parse costs 1 and is refused by graphql-ws). Parsing is bounded: a message is at most 512 KiB.
 */
function rootFields(payload: { query?: unknown; operationName?: unknown } | undefined): number {
  if (typeof payload?.query !== 'string') return 1;
  try {
    const doc = parse(payload.query);
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const op =
      typeof payload.operationName === 'string' ? ops.find((o) => o.name?.value === payload.operationName) : ops[0];
    return Math.max(1, op ? rootFieldCount(doc, op) : 1);
  } catch {
    return 1;
  }
}

/**
 * Errors thrown while events flow arrive wrapped by graphql-ws: map the original like the filter
 * does; `hideSchema` (production) drops "Did you mean ...?" as over HTTP.
 */
function format(errors: readonly GraphQLError[], hideSchema: boolean): GraphQLFormattedError[] {
  return errors.map((e) => {
    const inner = e.originalError;
    const g = inner && !(inner instanceof GraphQLError) ? toGraphQLError(inner) : e;
    const f = formatGraphQLError(g.toJSON()) as GraphQLFormattedError;
    return hideSchema ? withoutSuggestions(f) : f;
  });
}

export interface GraphqlWsLimits {
  maxQueryDepth: number;
  maxQueryCost: number;
  /** false in production: __schema and __type are refused */
  introspection?: boolean;
  /** the rate limit's buckets, shared with HTTP (none: no rate limit) */
  limiter?: TokenBucketLimiter;
}

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the same /graphql path. Subscriptions
 * authenticate with the same API keys as HTTP: `connectionParams.authorization` becomes the
 * request header that the global AuthGuard reads when a subscription starts, and errors are
 * shaped by the same formatter as over HTTP. Documents get the same depth and cost limits as over
 * HTTP, and the same rate limit.
 */
export function graphqlWsOptions({ maxQueryDepth, maxQueryCost, introspection = true, limiter }: GraphqlWsLimits) {
  // Apollo's `introspection: false` does not reach this transport: production refuses __schema here too
  const rules = [
    ...specifiedRules,
    depthLimitRule(maxQueryDepth),
    oneMutationRule,
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  // HTTP's cost rule where Apollo applies it: after validation, before anything runs. The refusal is
  // the result (a `next` with the error, then `complete`), the body HTTP answers with
  const overCost = (args: ExecutionArgs): ExecutionResult | null => {
    const e = queryCostError(
      {
        schema: args.schema,
        document: args.document,
        operationName: args.operationName,
        variables: args.variableValues,
      },
      maxQueryCost,
    );
    return e && { errors: [e] };
  };
  return {
    path: '/graphql',
    execute: async (args: ExecutionArgs) => {
      const refused = overCost(args);
      if (refused) return refused;
      limitServedRows(args.contextValue, maxQueryCost);
      return execute(args);
    },
    subscribe: async (args: ExecutionArgs) => overCost(args) ?? subscribeShared(args),
    // validation errors carry no code of their own: BAD_USER_INPUT, as Apollo's over HTTP
    // and name the argument a literal's error is about (extensions.field), as over HTTP
    validate: (schema: GraphQLSchema, document: DocumentNode) => {
      const errors = validate(schema, document, rules).map((e) =>
        e.extensions.code
          ? e
          : new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: GqlErrorCode.BAD_USER_INPUT } }),
      );
      nameInputFields(errors, document, { schema });
      return errors;
    },
    onSubscribe: (
      ctx: {
        subscriptions: Record<string, unknown>;
        connectionParams?: Record<string, unknown>;
        extra?: unknown;
      },
      _id?: string,
      payload?: { query?: unknown; operationName?: unknown },
    ): GraphQLError[] | void => {
      // graphql-ws has already reserved this subscription's id, so it counts itself
      if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return [
          // graphql-ws holds queries and mutations in flight in the same table: say what counts
          new GraphQLError(
            `at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations open at once per connection (subscriptions, and queries or mutations still running); end one, or open another connection`,
            {
              extensions: { code: GqlErrorCode.BAD_USER_INPUT },
            },
          ),
        ];
      }
      // every operation started over the socket (graphql-ws runs queries and mutations too) costs a
      // token per root field, as over HTTP, so aliases do not multiply the limit: the first before
      // the document is parsed (an empty bucket is refused without parsing it), the rest after
      if (limiter) {
        const caller = {
          headers: { authorization: authorization(ctx.connectionParams) },
          socket: (ctx.extra as { request?: { socket?: { remoteAddress?: string } } } | undefined)?.request?.socket,
        };
        const first = rateLimitError(limiter, caller, 1);
        if (first) return [first];
        const fields = rootFields(payload);
        const rest = rateLimitError(limiter, caller, fields - 1, fields);
        if (rest) return [rest];
      }
    },
    context: (ctx: { connectionParams?: Record<string, unknown> }) => ({
      req: { headers: { authorization: authorization(ctx.connectionParams) } },
    }),
    onError: (_ctx: unknown, _id: string, _payload: unknown, errors: readonly GraphQLError[]) =>
      format(errors, !introspection),
    onNext: (
      _ctx: unknown,
      _id: string,
      _payload: unknown,
      args: ExecutionArgs,
      result: ExecutionResult,
    ): FormattedExecutionResult => {
      // graphql-ws's loop keeps a subscription's last result in its frame until the next event
      // comes, which may be hours: the message takes the data and the result lets go of it, so an
      // idle subscriber holds none of its last payload (2,000 subscribers sent a 2,000-hour change
      // each held theirs, and a 512 MB heap ran out)
      const { errors, ...sent } = result;
      (result as { data?: unknown }).data = undefined;
      if (!errors?.length) return sent;
      // a variable of the wrong type: the argument it is used in (extensions.field), as over HTTP
      nameInputFields(errors, args.document, {
        schema: args.schema,
        operation: getOperationAST(args.document, args.operationName ?? undefined),
        variables: args.variableValues,
      });
      return { ...sent, errors: format(errors, !introspection) };
    },
  };
}
