import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { GqlErrorCode } from '../common/errors';
import { toGraphQLError } from '../common/gql-exception.filter';
import { RateLimitException } from './rate-limit.exception';
import { TokenBucketLimiter } from './rate-limiter';

export interface RequestLike {
  headers?: Record<string, string | string[] | undefined>;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/**
 * Who a request counts against: the presented API key (as a hash, so the raw key is not kept in
 * memory), or the client address for requests without one.
 */
export function callerOf(req: RequestLike | undefined): string {
  const header = req?.headers?.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return 'key:' + createHash('sha256').update(m[1], 'utf8').digest('hex');
  return 'addr:' + (req?.ip ?? req?.socket?.remoteAddress ?? 'unknown');
}

/** RATE_LIMITED for `caller` when `cost` tokens are not there (HTTP 429 and Retry-After over HTTP). */
export function rateLimitError(
  limiter: TokenBucketLimiter,
  req: RequestLike | undefined,
  cost: number,
): GraphQLError | null {
  const r = limiter.take(callerOf(req), cost);
  if (r.ok) return null;
  if (r.never !== undefined) {
    // waiting cannot help: no Retry-After, and a message that says how to send it
    return new GraphQLError(
      `this request costs ${cost} tokens (one per root field), more than this API key can ever spend at once on this replica (${r.never}); split it`,
      { extensions: { code: GqlErrorCode.BAD_USER_INPUT, limitPerMinute: limiter.perMinute, http: { status: 400 } } },
    );
  }
  const retryAfterSeconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  const e = toGraphQLError(new RateLimitException(limiter.perMinute, retryAfterSeconds));
  return new GraphQLError(e.message, {
    extensions: {
      ...e.extensions,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/**
 * Apollo plugin: every GraphQL operation takes one token per root field (so twenty aliased
 * mutations in one request cost twenty) from its caller's bucket once it has parsed and
 * validated, before any resolver (so before authentication and any database work).
 * When empty: RATE_LIMITED, HTTP 429 and a Retry-After header.
 */
export function rateLimitPlugin(limiter: TokenBucketLimiter): ApolloServerPlugin<{ req?: RequestLike }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          const e = rateLimitError(
            limiter,
            contextValue?.req,
            Math.max(1, operation?.selectionSet.selections.length ?? 1),
          );
          if (e) throw e;
        },
      };
    },
  };
}
