import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { GqlContextType, GqlExceptionFilter } from '@nestjs/graphql';
import { databaseFailure, PG_ERROR, pgErrorCode } from '@pflex/persistence';
import { SchedulerInputError } from '@pflex/scheduler';
import { GraphQLError } from 'graphql';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { DomainException, GqlErrorCode } from './errors';

const HTTP_TO_GQL: Record<number, GqlErrorCode> = {
  400: GqlErrorCode.BAD_USER_INPUT,
  401: GqlErrorCode.UNAUTHENTICATED,
  403: GqlErrorCode.FORBIDDEN,
  404: GqlErrorCode.NOT_FOUND,
  409: GqlErrorCode.CONFLICT,
  503: GqlErrorCode.SERVICE_UNAVAILABLE,
};

/**
 * The one place where exceptions become client errors. Feature exceptions carry their GraphQL
 * code; anything unexpected is logged and answered with a generic INTERNAL_SERVER_ERROR, so
 * stack traces and SQL never reach a client.
 */
export function toGraphQLError(e: unknown, log?: Logger): GraphQLError {
  if (e instanceof DomainException) {
    return new GraphQLError(e.message, {
      extensions: { code: e.gqlCode, reason: e.code, ...(e.field ? { field: e.field } : {}), ...(e.details ?? {}) },
    });
  }
  if (e instanceof SchedulerInputError) {
    return new GraphQLError(e.message, { extensions: { code: GqlErrorCode.BAD_USER_INPUT, field: e.field } });
  }
  if (e instanceof GraphQLError) return e;
  if (e instanceof HttpException) {
    const code = HTTP_TO_GQL[e.getStatus()];
    if (code) return new GraphQLError(e.message, { extensions: { code } });
  }
  // Retryable refusals: the transaction rolled back (or, if the connection died in COMMIT, a
  // retry with the same idempotency key returns the booking).
  const db = databaseFailure(e);
  if (db) {
    log?.warn({ err: e }, db === 'timeout' ? 'database timeout' : 'database unavailable');
    return db === 'timeout'
      ? new GraphQLError('The database did not answer in time; try again (a booking with the same idempotencyKey)', {
          extensions: { code: GqlErrorCode.TIMEOUT, retryable: true },
        })
      : new GraphQLError('The database is unavailable; try again shortly (a booking with the same idempotencyKey)', {
          extensions: { code: GqlErrorCode.SERVICE_UNAVAILABLE, retryable: true },
        });
  }
  // a deadlock or serialization failure with a concurrent write, still there after the retries:
  // everything rolled back, so trying again is safe
  const pg = pgErrorCode(e);
  if (pg === PG_ERROR.DEADLOCK_DETECTED || pg === PG_ERROR.SERIALIZATION_FAILURE) {
    log?.warn({ err: e }, 'conflict with a concurrent write');
    return new GraphQLError(
      'The change conflicted with a concurrent one and was rolled back (nothing was saved); try again',
      {
        extensions: { code: GqlErrorCode.SERVICE_UNAVAILABLE, retryable: true },
      },
    );
  }
  log?.error({ err: e }, 'unhandled error');
  return new GraphQLError('Internal server error', { extensions: { code: GqlErrorCode.INTERNAL_SERVER_ERROR } });
}

@Catch()
export class GqlErrorFilter implements GqlExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType<GqlContextType>() === 'graphql') return toGraphQLError(exception, this.log);
    // plain HTTP routes (health, dashboard): JSON without internals
    const http = host.switchToHttp();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    if (status >= 500) this.log.error({ err: exception }, 'unhandled http error');
    const message = status >= 500 ? 'Internal server error' : (exception as Error).message;
    void sendHttpError(http.getResponse<FastifyReply>(), http.getRequest<{ url?: string }>()?.url, status, message);
  }
}

const PASS_THROUGH = new Set<string>(Object.values(GqlErrorCode));
// Apollo's own codes for requests it could not run (operationName not in the document included)
const APOLLO_INPUT_CODES = new Set([
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo formatError: strips stack traces, folds Apollo's own validation codes into
 * BAD_USER_INPUT and hides anything that did not go through the filter.
 */
export function formatGraphQLError(formatted: {
  message: string;
  extensions?: Record<string, unknown>;
  path?: unknown;
  locations?: unknown;
}) {
  const ext = { ...(formatted.extensions ?? {}) };
  delete ext.stacktrace;
  // Apollo's HTTP status and headers: it drops them from HTTP answers; graphql-ws would send them
  delete ext.http;
  let code: string = typeof ext.code === 'string' ? ext.code : GqlErrorCode.INTERNAL_SERVER_ERROR;
  let message = formatted.message;
  if (APOLLO_INPUT_CODES.has(code)) code = GqlErrorCode.BAD_USER_INPUT;
  // errors that bypassed the filter (thrown in Apollo plugins) keep no message of their own
  if (!PASS_THROUGH.has(code) || code === (GqlErrorCode.INTERNAL_SERVER_ERROR as string)) {
    code = GqlErrorCode.INTERNAL_SERVER_ERROR;
    message = 'Internal server error';
  }
  // a message echoes what was sent (an id, a name): a 400,000-character id must not come back whole
  if (message.length > MAX_MESSAGE_CHARS)
    message = `${message.slice(0, MAX_MESSAGE_CHARS)}… (${message.length - MAX_MESSAGE_CHARS} more characters)`;
  return { ...formatted, message, extensions: { ...ext, code } };
}

/** Longest error message sent, in UTF-16 units; the rest is cut (the extensions keep the facts). */
export const MAX_MESSAGE_CHARS = 2000;

/**
 * The message without GraphQL's "Did you mean ...?" suggestions, which name fields, arguments and
 * types of the schema: production hides the schema (no introspection), so its errors do too; and
 * Apollo's refusal of introspection said as the product's, without its advice to turn it on.
 */
export function withoutSuggestions<T extends { message: string }>(formatted: T): T {
  const message = formatted.message.startsWith('GraphQL introspection is not allowed by Apollo Server')
    ? 'GraphQL introspection is off in production (NODE_ENV=production): the server does not describe its schema'
    : formatted.message.replace(/ Did you mean [^?]*\?/g, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}

/**
 * An error answered over plain HTTP. Requests refused before GraphQL ran (body too large,
 * malformed JSON) still get a GraphQL error body on /graphql; other routes get JSON.
 */
export function sendHttpError(
  reply: FastifyReply,
  url: string | undefined,
  status: number,
  message: string,
  extensions: Record<string, unknown> = {},
): FastifyReply {
  if (String(url ?? '').startsWith('/graphql')) {
    const code =
      HTTP_TO_GQL[status] ?? (status < 500 ? GqlErrorCode.BAD_USER_INPUT : GqlErrorCode.INTERNAL_SERVER_ERROR);
    return reply.status(status).send({ errors: [{ message, extensions: { code, ...extensions } }] });
  }
  return reply.status(status).send({ statusCode: status, message });
}
