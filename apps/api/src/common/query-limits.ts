import type { ApolloServerPlugin } from '@apollo/server';
import type { FieldMiddleware } from '@nestjs/graphql';
import {
  ASTVisitor,
  DocumentNode,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  OperationTypeNode,
  SelectionSetNode,
  ValidationContext,
} from 'graphql';
import { ComplexityEstimator, fieldExtensionsEstimator, simpleEstimator } from 'graphql-query-complexity';
import { GqlErrorCode } from './errors';
import { fragmentsOf, operationCost } from './query-cost';

/**
 * A value of a selection set that takes each fragment's value where it is spread, each fragment
 * walked once per document however often it is spread: a chain of fragments each spreading the one
 * before twice (a 1 kB request of 30 of them) would otherwise be walked 2^30 times, before any
 * other limit runs. `of(set, spread)` computes a set's value, `spread(name)` a fragment's; a
 * fragment that is unknown or spread inside itself (a cycle, which validation refuses) is `none`.
 */
function overFragments<T>(
  doc: DocumentNode,
  none: T,
  of: (set: SelectionSetNode, spread: (name: string) => T) => T,
): (set: SelectionSetNode) => T {
  const fragments = fragmentsOf(doc);
  const memo = new Map<string, T>();
  const busy = new Set<string>();
  const spread = (name: string): T => {
    if (memo.has(name)) return memo.get(name)!;
    const f = fragments.get(name);
    if (!f || busy.has(name)) return none;
    busy.add(name);
    const v = of(f.selectionSet, spread);
    busy.delete(name);
    memo.set(name, v);
    return v;
  };
  return (set) => of(set, spread);
}

/** Counts that can grow 2^n through fragments stay finite numbers. */
const SATURATED = 1e15;
const plus = (a: number, b: number) => Math.min(SATURATED, a + b);

/** Validation rule: refuses operations nested deeper than `max` fields. */
export function depthLimitRule(max: number) {
  return (ctx: ValidationContext): ASTVisitor => {
    const depthOf = (set: SelectionSetNode, spread: (name: string) => number): number => {
      let best = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value.startsWith('__')) continue;
          best = Math.max(best, 1 + (s.selectionSet ? depthOf(s.selectionSet, spread) : 0));
        } else if (s.kind === Kind.INLINE_FRAGMENT) best = Math.max(best, depthOf(s.selectionSet, spread));
        else best = Math.max(best, spread(s.name.value));
      }
      return best;
    };
    const depth = overFragments(ctx.getDocument(), 0, depthOf);
    return {
      OperationDefinition(op) {
        const d = depth(op.selectionSet);
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

/** Root fields of a selection, fragments included: how many (each spread counting), the first five names. */
interface Roots {
  n: number;
  names: string[];
}

/**
 * Validation rule: a mutation operation runs one mutation field. GraphQL runs a document's
 * mutation fields one after another, each committing on its own, and one error nulls the whole
 * answer (the fields are non-null): the client would lose the ids of what was done. One field per
 * request keeps "nothing is written on an error" true of every request.
 */
export function oneMutationRule(ctx: ValidationContext): ASTVisitor {
  const rootsOf = (set: SelectionSetNode, spread: (name: string) => Roots): Roots => {
    const r: Roots = { n: 0, names: [] };
    const add = (x: Roots) => {
      r.n = plus(r.n, x.n);
      for (const name of x.names) if (r.names.length < 5) r.names.push(name);
    };
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value !== '__typename') add({ n: 1, names: [s.alias?.value ?? s.name.value] });
      } else if (s.kind === Kind.INLINE_FRAGMENT) add(rootsOf(s.selectionSet, spread));
      else add(spread(s.name.value));
    }
    return r;
  };
  const roots = overFragments(ctx.getDocument(), { n: 0, names: [] }, rootsOf);
  return {
    OperationDefinition(op) {
      if (op.operation !== OperationTypeNode.MUTATION) return;
      const { n, names } = roots(op.selectionSet);
      if (n > 1)
        ctx.reportError(
          new GraphQLError(
            `a request runs one mutation, got ${n} (${names.join(', ')}${n > 5 ? ', …' : ''}): send each as its own request, so that an error never leaves some done with their answers lost`,
            { extensions: { code: GqlErrorCode.BAD_USER_INPUT } },
          ),
        );
    },
  };
}

/**
 * The root fields an operation runs: its distinct response keys, fragments and inline fragments
 * included (GraphQL runs a key once however often it is selected). What the rate limit charges.
 */
export function rootFieldCount(doc: DocumentNode, op: OperationDefinitionNode): number {
  const keysOf = (set: SelectionSetNode, spread: (name: string) => ReadonlySet<string>): ReadonlySet<string> => {
    const keys = new Set<string>();
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) keys.add(s.alias?.value ?? s.name.value);
      else
        for (const k of s.kind === Kind.INLINE_FRAGMENT ? keysOf(s.selectionSet, spread) : spread(s.name.value))
          keys.add(k);
    }
    return keys;
  };
  return overFragments<ReadonlySet<string>>(doc, new Set(), keysOf)(op.selectionSet).size;
}

/** List fields cost their page size times their selection (first, default 20). */
const pagedEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  if (typeof args?.first === 'number' || 'first' in (args ?? {})) {
    const n = typeof args.first === 'number' && args.first > 0 ? args.first : 20;
    return 1 + n * Math.max(1, childComplexity);
  }
  return undefined;
};

/** A field's own estimate (`complexity` of its definition), else a page's, else 1 plus its selection. */
const ESTIMATORS: readonly ComplexityEstimator[] = [
  fieldExtensionsEstimator(),
  pagedEstimator,
  simpleEstimator({ defaultComplexity: 1 }),
];

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
  const definition = op.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!op.operationName || d.name?.value === op.operationName),
  );
  if (!definition) return null;
  // the variables are coerced once, with graphql-js's error cap (an estimator coercing them
  // without one made 131,000 errors, with their stacks, for 13 s out of a 512 kB list of wrong items)
  let variables: Record<string, unknown> = {};
  if (definition.variableDefinitions?.length) {
    const checked = getVariableValues(op.schema, definition.variableDefinitions, op.variables ?? {}, {
      maxErrors: 50,
    });
    // the last fault (an unknown field comes after the missing ones), not the cap's own "too many errors"
    const faults = checked.errors?.filter((x) => !x.message.startsWith('Too many errors processing variables')) ?? [];
    if (faults.length)
      return new GraphQLError(faults[faults.length - 1].message, {
        extensions: { code: GqlErrorCode.BAD_USER_INPUT, http: { status: 400 } },
      });
    variables = checked.coerced ?? {};
  }
  let cost: number;
  try {
    cost = operationCost(op.schema, op.document, definition, variables, ESTIMATORS);
  } catch (e) {
    // an argument its variables cannot give, or a document too large to estimate: the client's error
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
  const { whole, largest } = schemaSize(op.schema);
  const costOf = (set: SelectionSetNode, spread: (name: string) => number): number => {
    let c = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD)
        c = plus(c, s.name.value === '__schema' ? whole : s.name.value === '__type' ? largest : 0);
      else c = plus(c, s.kind === Kind.INLINE_FRAGMENT ? costOf(s.selectionSet, spread) : spread(s.name.value));
    }
    return c;
  };
  const walk = overFragments(op.document, 0, costOf);
  let cost = 0;
  for (const d of op.document.definitions)
    if (d.kind === Kind.OPERATION_DEFINITION && (!op.operationName || d.name?.value === op.operationName))
      cost = plus(cost, walk(d.selectionSet));
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
