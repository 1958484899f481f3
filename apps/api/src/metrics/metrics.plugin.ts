import { Plugin } from '@nestjs/apollo';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse, GraphQLRequestListener } from '@apollo/server';
import { GraphQLSchema, Kind, OperationDefinitionNode } from 'graphql';
import { MetricsService } from './metrics.service';

/** Label values come from the schema or our error enums only, so label cardinality stays bounded. */
const REASON_RE = /^[A-Z][A-Z_]{0,39}$/;

/** Counts and times every GraphQL request over HTTP by root field; counts bookCompute refusals by reason. */
@Plugin()
export class MetricsPlugin implements ApolloServerPlugin {
  constructor(private readonly metrics: MetricsService) {}

  async requestDidStart(): Promise<GraphQLRequestListener<Record<string, unknown>>> {
    const t0 = process.hrtime.bigint();
    const metrics = this.metrics;
    return {
      async willSendResponse(rc: GraphQLRequestContextWillSendResponse<Record<string, unknown>>) {
        const type = rc.operation?.operation ?? 'unknown';
        const operation = rootField(rc.schema, rc.operation);
        const errors =
          rc.errors ?? (rc.response.body.kind === 'single' ? rc.response.body.singleResult.errors : undefined);
        metrics.request(operation, type, !errors?.length, Number(process.hrtime.bigint() - t0) / 1e9);
        if (operation === 'bookCompute' && errors?.length) {
          const ext = errors[0].extensions as { reason?: unknown; code?: unknown } | undefined;
          const reason = typeof ext?.reason === 'string' ? ext.reason : typeof ext?.code === 'string' ? ext.code : '';
          metrics.bookingRefused(REASON_RE.test(reason) ? reason : 'OTHER');
        }
      },
    };
  }
}

/** The root field of a single-field operation, "multiple" for several, "invalid" when unknown to the schema. */
function rootField(schema: GraphQLSchema, op: OperationDefinitionNode | undefined): string {
  if (!op) return 'invalid';
  const root = schema.getRootType(op.operation);
  const names = new Set<string>();
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) return 'multiple';
    names.add(sel.name.value);
  }
  if (names.size !== 1) return names.size === 0 ? 'invalid' : 'multiple';
  const [name] = names;
  if (name === '__typename' || name === '__schema' || name === '__type') return name;
  return root?.getFields()[name] ? name : 'invalid';
}
