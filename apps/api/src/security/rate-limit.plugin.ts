import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { GqlErrorCode } from '../common/errors';
import { toGraphQLError } from '../common/gql-exception.filter';
import { rootFieldCount } from '../common/query-limits';
import { RateLimitException } from './rate-limit.exception';
import { TokenBucketLimiter } from './rate-limiter';

export interface RequestLike {
  headers?: Record<string, string | string[] | undefined>;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** Key hashes already computed for a request (the gate, the plugin and the guard each ask). */
const hashed = new WeakMap<object, string | null>();

/** The hash of the API key a request presents (so the raw key is not kept in memory), or null; computed once per request. */
export function keyHashOf(req: RequestLike | undefined): string | null {
  if (req && hashed.has(req)) return hashed.get(req)!;
  const header = req?.headers?.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const hash = m ? createHash('sha256').update(m[1], 'utf8').digest('hex') : null;
  if (req) hashed.set(req, hash);
  return hash;
}

/** The client address a request counts against when it has no key (or a key not yet seen to be real). */
function addressOf(req: RequestLike | undefined): string {
  return 'addr:' + (req?.ip ?? req?.socket?.remoteAddress ?? 'unknown');
}

/**
 * Takes `cost` tokens from the caller's bucket; when they are not there, the refusal: RATE_LIMITED
 * (HTTP 429 and Retry-After over HTTP), or BAD_USER_INPUT when the request's `total` cost (the
 * tokens taken for it before, plus `cost`) is more than a bucket here ever holds. Null: taken.
 */
export function rateLimitError(
  limiter: TokenBucketLimiter,
  req: RequestLike | undefined,
  cost: number,
  total = cost,
): GraphQLError | null {
  if (cost <= 0) return null;
  if (total > limiter.burst) {
    // waiting cannot help: no Retry-After, and a message that says how to send it
    return new GraphQLError(
      `this request costs ${total} tokens (one per root field), more than this API key can ever spend at once on this replica (${Math.floor(limiter.burst)}); split it`,
      { extensions: { code: GqlErrorCode.BAD_USER_INPUT, limitPerMinute: limiter.perMinute, http: { status: 400 } } },
    );
  }
  const hash = keyHashOf(req);
  // a key not yet seen to authenticate here draws from its sender's address bucket too, so that
  // made-up keys (a fresh one per request, each with a full bucket of its own) are held to the
  // address's rate; a real key's requests then count against its own bucket only
  if (hash !== null && !limiter.isVerified(hash)) {
    const a = limiter.take(addressOf(req), cost);
    if (!a.ok) return limitedError(limiter, a.retryAfterMs);
  }
  const r = limiter.take(hash !== null ? 'key:' + hash : addressOf(req), cost);
  return r.ok ? null : limitedError(limiter, r.retryAfterMs);
}

/** RATE_LIMITED with HTTP 429 and Retry-After. */
function limitedError(limiter: TokenBucketLimiter, retryAfterMs: number): GraphQLError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const e = toGraphQLError(new RateLimitException(limiter.perMinute, retryAfterSeconds));
  return new GraphQLError(e.message, {
    extensions: {
      ...e.extensions,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/**
 * Every GraphQL request over HTTP takes its first token here, when it arrives: before its body
 * is read, parsed or validated, so a caller whose bucket is empty is answered 429 at once, and
 * documents that never parse or validate cost a token each like any other request (no way to
 * make the server parse and validate for free). The root fields after the first are taken by
 * `rateLimitPlugin` once the document has parsed.
 */
export function registerRateLimitGate(fastify: FastifyInstance, limiter: TokenBucketLimiter): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if (req.method === 'OPTIONS' || !req.url.startsWith('/graphql')) return done();
    const e = rateLimitError(limiter, req, 1);
    if (!e) return done();
    const http = e.extensions.http as { status: number; headers?: HeaderMap };
    for (const [k, v] of http.headers ?? []) void reply.header(k, v);
    const { http: _omit, ...extensions } = e.extensions;
    void reply.status(http.status).send({ errors: [{ message: e.message, extensions }] });
  });
}

/**
 * Apollo plugin: every GraphQL operation costs one token per root field (so twenty aliased
 * mutations in one request cost twenty): the first was taken when the request arrived
 * (`registerRateLimitGate`), the others are taken here once it has parsed and validated, before
 * any resolver (so before authentication and any database work).
 * When empty: RATE_LIMITED, HTTP 429 and a Retry-After header.
 */
export function rateLimitPlugin(limiter: TokenBucketLimiter): ApolloServerPlugin<{ req?: RequestLike }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          // fragments and inline fragments included: `{ ... on Query { a: me { id } b: me { id } } }` runs two
          const fields = Math.max(1, operation ? rootFieldCount(document, operation) : 1);
          const e = rateLimitError(limiter, contextValue?.req, fields - 1, fields);
          if (e) throw e;
        },
      };
    },
  };
}
