import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';
import { GqlErrorCode } from '../common/errors';

/**
 * Apollo plugin for the HTTP transport: a subscription is refused with BAD_USER_INPUT before
 * anything runs (it would otherwise run its resolver once without an event and fail with an
 * internal error). Subscriptions are served by graphql-ws on the same path (graphql-ws.options.ts),
 * which does not go through Apollo's plugins.
 */
export function httpSubscriptionPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === OperationTypeNode.SUBSCRIPTION)
            throw new GraphQLError(
              'subscriptions are served over WebSocket on /graphql (graphql-ws, subprotocol graphql-transport-ws), not over HTTP',
              { extensions: { code: GqlErrorCode.BAD_USER_INPUT, http: { status: 400 } } },
            );
        },
      };
    },
  };
}
