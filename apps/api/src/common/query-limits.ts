import type { ApolloServerPlugin } from '@apollo/server';
import type { FieldMiddleware } from '@nestjs/graphql';
import {
  ASTVisitor,
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationTypeNode,
  SelectionSetNode,
  ValidationContext,
} from 'graphql';
import {
  ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';
import { GqlErrorCode } from './errors';

/** The document's fragments by name. */
function fragmentsOf(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/** Validation rule: refuses operations nested deeper than `max` fields. */
export function depthLimitRule(max: number) {
  return (ctx: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(ctx.getDocument());
    const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!set) return 0;
      let best = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value.startsWith('__')) continue;
          best = Math.max(best, 1 + depthOf(s.selectionSet, seen));
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          best = Math.max(best, depthOf(s.selectionSet, seen));
        } else {
          const f = fragments.get(s.name.value);
          if (f && !seen.has(f.name.value))
            best = Math.max(best, depthOf(f.selectionSet, new Set([...seen, f.name.value])));
        }
      }
      return best;
    };
    return {
      OperationDefinition(op) {
        const d = depthOf(op.selectionSet, new Set());
        if (d > max) {
          ctx.reportError(
            new GraphQLError(`query depth ${d} exceeds the limit of ${max}`, {
              extensions: { code: GqlErrorCode.BAD_USER_INPUT },
            }),
          );
        }
      },
    };
  };
}

/**
 * Validation rule: a mutation operation runs one mutation field. GraphQL runs a document's
 * mutation fields one after another, each committing on its own, and one error nulls the whole
 * answer (the fields are non-null): the client would lose the ids of what was done. One field per
 * request keeps "nothing is written on an error" true of every request.
 */
export function oneMutationRule(ctx: ValidationContext): ASTVisitor {
  const fragments = fragmentsOf(ctx.getDocument());
  const roots = (set: SelectionSetNode, seen: Set<string>): string[] =>
    set.selections.flatMap((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === '__typename' ? [] : [s.alias?.value ?? s.name.value];
      if (s.kind === Kind.INLINE_FRAGMENT) return roots(s.selectionSet, seen);
      const f = fragments.get(s.name.value);
      return f && !seen.has(f.name.value) ? roots(f.selectionSet, new Set([...seen, f.name.value])) : [];
    });
  return {
    OperationDefinition(op) {
      if (op.operation !== OperationTypeNode.MUTATION) return;
      const fields = roots(op.selectionSet, new Set());
      if (fields.length > 1)
        ctx.reportError(
          new GraphQLError(
            `a request runs one mutation, got ${fields.length} (${fields.slice(0, 5).join(', ')}${fields.length > 5 ? ', …' : ''}): send each as its own request, so that an error never leaves some done with their answers lost`,
            { extensions: { code: GqlErrorCode.BAD_USER_INPUT } },
          ),
        );
    },
  };
}

/** List fields cost their page size times their selection (first, default 20). */
const pagedEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  if (typeof args?.first === 'number' || 'first' in (args ?? {})) {
    const n = typeof args.first === 'number' && args.first > 0 ? args.first : 20;
    return 1 + n * Math.max(1, childComplexity);
  }
  return undefined;
};

/** What the cost of an operation depends on: the same inputs over HTTP and over WebSocket. */
export interface CostedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The error refusing an operation whose estimated cost exceeds `max` (variables included), or
 * null when it may run. The one cost rule of both transports: Apollo's plugin below over HTTP,
 * graphql-ws's execute and subscribe over WebSocket.
 */
export function queryCostError(op: CostedOperation, max: number): GraphQLError | null {
  let cost: number;
  try {
    cost = getComplexity({
      schema: op.schema,
      operationName: op.operationName ?? undefined,
      query: op.document,
      variables: op.variables ?? undefined,
      estimators: [fieldExtensionsEstimator(), pagedEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (e) {
    // getComplexity coerces the variables first: invalid variables are the client's error
    return new GraphQLError((e as Error).message, {
      extensions: { code: GqlErrorCode.BAD_USER_INPUT, http: { status: 400 } },
    });
  }
  cost += introspectionCost(op);
  if (cost <= max) return null;
  return new GraphQLError(
    `query cost ${cost} exceeds the limit of ${max}; ask for fewer items (first) or fewer fields`,
    { extensions: { code: GqlErrorCode.BAD_USER_INPUT, http: { status: 400 } } },
  );
}

/** Elements of the schema (types, their fields, arguments, input fields, enum values): all, and the largest type's. */
const schemaSizes = new WeakMap<GraphQLSchema, { whole: number; largest: number }>();

function schemaSize(schema: GraphQLSchema): { whole: number; largest: number } {
  let size = schemaSizes.get(schema);
  if (size) return size;
  size = { whole: 0, largest: 0 };
  for (const t of Object.values(schema.getTypeMap())) {
    let n = 1;
    if (isObjectType(t) || isInterfaceType(t)) for (const f of Object.values(t.getFields())) n += 1 + f.args.length;
    else if (isInputObjectType(t)) n += Object.keys(t.getFields()).length;
    else if (isEnumType(t)) n += t.getValues().length;
    size.whole += n;
    size.largest = Math.max(size.largest, n);
  }
  schemaSizes.set(schema, size);
  return size;
}

/**
 * What the cost estimator does not see: `__schema` and `__type` (meta fields, not in the schema's
 * types). `__schema` answers up to the whole schema, so it costs one per element of it; `__type`
 * one type, as many as the largest type has (fields and their arguments). Development
 * only (production refuses both), so that hundreds of aliased copies cannot fill a response.
 */
function introspectionCost(op: CostedOperation): number {
  const fragments = fragmentsOf(op.document);
  const { whole, largest } = schemaSize(op.schema);
  const walk = (set: SelectionSetNode, seen: ReadonlySet<string>): number => {
    let c = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) c += s.name.value === '__schema' ? whole : s.name.value === '__type' ? largest : 0;
      else if (s.kind === Kind.INLINE_FRAGMENT) c += walk(s.selectionSet, seen);
      else {
        const f = fragments.get(s.name.value);
        if (f && !seen.has(f.name.value)) c += walk(f.selectionSet, new Set([...seen, f.name.value]));
      }
    }
    return c;
  };
  let cost = 0;
  for (const d of op.document.definitions)
    if (d.kind === Kind.OPERATION_DEFINITION && (!op.operationName || d.name?.value === op.operationName))
      cost += walk(d.selectionSet, new Set());
  return cost;
}

/** Apollo plugin: refuses operations whose estimated cost exceeds `max` (variables included). */
export function complexityPlugin(max: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, contextValue }) {
          const e = queryCostError(
            { schema, document, operationName: request.operationName, variables: request.variables },
            max,
          );
          if (e) throw e;
          limitServedRows(contextValue, max);
        },
      };
    },
  };
}

const ROW_LIMIT = Symbol('rowLimit');
const ROWS_SERVED = Symbol('rowsServed');
type RowCounted = { [ROW_LIMIT]?: number; [ROWS_SERVED]?: number };

/** Sets the limit `servedRows` holds a request's lists to (queries and mutations; not a subscription's events). */
export function limitServedRows(contextValue: unknown, max: number): void {
  if (contextValue && typeof contextValue === 'object') (contextValue as RowCounted)[ROW_LIMIT] = max;
}

/**
 * Field middleware for lists whose length no estimate knows before they run: a supply revision's
 * hours and bookings, and each booking's short hours (one revision may hold thousands). They
 * count the rows they serve, all of a request's together, against its cost limit; past it the
 * request is refused BAD_USER_INPUT, as by the estimate.
 */
export const servedRows: FieldMiddleware = async ({ context, info }, next) => {
  const rows: unknown = await next();
  const c = context as RowCounted;
  const max = c?.[ROW_LIMIT];
  if (max === undefined || !Array.isArray(rows)) return rows;
  const total = (c[ROWS_SERVED] ?? 0) + (rows as unknown[]).length;
  c[ROWS_SERVED] = total;
  if (total > max)
    throw new GraphQLError(
      `query cost: the lists of ${info?.parentType.name}.${info?.fieldName} and the like come to ${total} rows in this request, more than the limit of ${max}; ask for fewer items (first) or a shorter range`,
      { extensions: { code: GqlErrorCode.BAD_USER_INPUT } },
    );
  return rows as unknown;
};

/** Cost of a list bounded by a time range of whole hours (utilization): one row per hour. */
export function hourRangeComplexity(maxHours: number) {
  return ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }): number => {
    return 1 + rangeHours(args.from, args.to, maxHours) * Math.max(1, childComplexity);
  };
}

/** Whole hours in [from, to) as a cost estimator reads them (coerced Dates), within [1, maxHours]; maxHours when unreadable. */
function rangeHours(from: unknown, to: unknown, maxHours: number): number {
  const f = from instanceof Date ? from.getTime() : NaN;
  const t = to instanceof Date ? to.getTime() : NaN;
  return Number.isFinite(t - f) ? Math.min(maxHours, Math.max(1, Math.ceil((t - f) / 3_600_000))) : maxHours;
}

/**
 * Cost of a field whose work grows with a time range though its answer does not: one plus its
 * selection plus one per `hoursPerUnit` hours of the range read by `range` from its arguments.
 * `kpis` scans every cluster-hour of its range (a year costs as much as a whole request may), and
 * `quotes` and `bookCompute` search every start of the request's window, so many aliased copies
 * of a long range no longer fit in one request.
 */
export function rangeWorkComplexity(
  range: (args: Record<string, unknown>) => [unknown, unknown],
  maxHours: number,
  hoursPerUnit: number,
) {
  return ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }): number => {
    const [from, to] = range(args);
    return 1 + childComplexity + Math.ceil(rangeHours(from, to, maxHours) / hoursPerUnit);
  };
}
