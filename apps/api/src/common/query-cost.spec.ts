import { buildSchema, getVariableValues, GraphQLObjectType, Kind, parse, type OperationDefinitionNode } from 'graphql';
import {
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
  type ComplexityEstimator,
} from 'graphql-query-complexity';
import { MAX_COST_NODES, operationCost } from './query-cost';

// The oracle is graphql-query-complexity's own getComplexity: operationCost must give the same
// number (or fail where it fails) on every document, with every variable value.

const schema = buildSchema(`
  interface Node { id: ID! name: String }
  type Cluster implements Node { id: ID! name: String capacity: Float bookings(first: Int): [Booking!]! site: Site }
  type Site implements Node { id: ID! name: String clusters(first: Int): [Cluster!]! }
  type Booking { id: ID! hours: Int cluster: Cluster price: Price }
  type Price { total: Float parts: [Float!]! }
  union Thing = Cluster | Site | Booking
  input Window { from: Int! to: Int! }
  type Query {
    node(id: ID!): Node
    things(first: Int): [Thing!]!
    clusters(first: Int): [Cluster!]!
    usage(w: Window!): [Float!]!
    dear: Int
  }
  type Mutation { book(w: Window!, first: Int): Booking }
`);
// field costs as the API sets them: a number, and functions of the arguments
const fields = (t: string) => (schema.getType(t) as GraphQLObjectType).getFields();
fields('Query').dear.extensions = { complexity: 7 };
fields('Query').usage.extensions = {
  complexity: ({ args, childComplexity }: { args: { w: { from: number; to: number } }; childComplexity: number }) =>
    1 + Math.max(0, args.w.to - args.w.from) * Math.max(1, childComplexity),
};
fields('Mutation').book.extensions = {
  complexity: ({ args, childComplexity }: { args: { w: { from: number; to: number } }; childComplexity: number }) =>
    2 + childComplexity + Math.ceil(Math.max(0, args.w.to - args.w.from) / 24),
};
const paged: ComplexityEstimator = ({ args, childComplexity }) =>
  'first' in (args ?? {})
    ? 1 + (typeof args.first === 'number' && args.first > 0 ? args.first : 20) * Math.max(1, childComplexity)
    : undefined;
const estimators = [fieldExtensionsEstimator(), paged, simpleEstimator({ defaultComplexity: 1 })];

const DOCS = [
  `{ dear __typename }`,
  `query($n: Int) { clusters(first: $n) { id name bookings(first: 3) { id price { total parts } } } }`,
  `query($n: Int, $on: Boolean!) { clusters(first: $n) { id bookings(first: $n) @include(if: $on) { id } site @skip(if: $on) { id } } }`,
  `query($id: ID!) { node(id: $id) { id ... on Cluster { capacity bookings { id } } ... on Site { clusters(first: 2) { id } } } }`,
  `query($n: Int) { things(first: $n) { ... on Cluster { id capacity } ... on Site { id name clusters { id } } ... on Booking { hours } } }`,
  `query($w: Window!) { usage(w: $w) a: usage(w: { from: 0, to: 5 }) }`,
  `mutation($w: Window!, $n: Int) { book(w: $w, first: $n) { id cluster { id ...C } } } fragment C on Cluster { name bookings(first: $n) { id } }`,
  `query($n: Int, $on: Boolean!) { ...Q } fragment Q on Query { clusters(first: $n) { ...K } things { ...T } } fragment K on Cluster { id site { ...S } } fragment S on Site { clusters @include(if: $on) { id } } fragment T on Thing { __typename ... on Node { id ... on Site { name } } }`,
  `{ ... { dear } ... @skip(if: true) { clusters { id } } ... on Query @include(if: false) { things { __typename } } }`,
  `{ __schema { types { name } } __type(name: "Cluster") { name } }`,
  `query($on: Boolean!) { clusters(first: 0) @skip(if: $on) { id } c: clusters(first: -3) { id name } }`,
  `query A($n: Int) { clusters(first: $n) { id } } query B { dear }`,
];

function both(doc: string, vars: Record<string, unknown>, opName?: string) {
  const document = parse(doc);
  let oracle: number | string;
  try {
    oracle = getComplexity({ schema, query: document, variables: vars, operationName: opName, estimators });
  } catch (e) {
    oracle = (e as Error).message;
  }
  const op = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!opName || d.name?.value === opName),
  )!;
  const coerced = getVariableValues(schema, op.variableDefinitions ?? [], vars);
  let ours: number | string;
  try {
    ours = coerced.errors
      ? coerced.errors[0].message
      : operationCost(schema, document, op, coerced.coerced, estimators);
  } catch (e) {
    ours = (e as Error).message;
  }
  return { oracle, ours };
}

describe('operationCost equals graphql-query-complexity', () => {
  it('on every document and 200 random variable values each', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    let compared = 0;
    for (const doc of DOCS)
      for (let i = 0; i < 200; i++) {
        const vars = {
          n: pick([undefined, null, 0, 1, 5, 100, -2]),
          on: pick([true, false]),
          id: 'x',
          w: { from: pick([0, 3, 48]), to: pick([0, 24, 100, 8760]) },
        };
        for (const opName of doc.startsWith('query A') ? ['A', 'B'] : [undefined]) {
          const { oracle, ours } = both(doc, vars, opName);
          if (typeof oracle === 'number') expect({ doc, vars, cost: ours }).toEqual({ doc, vars, cost: oracle });
          else expect(typeof ours).toBe('string');
          compared++;
        }
      }
    expect(compared).toBe(DOCS.length * 200 + 200);
  });

  it('gives up past MAX_COST_NODES selections, as the library does', () => {
    const doc = `{ ${Array.from({ length: MAX_COST_NODES + 5 }, (_, i) => `a${i}: dear`).join(' ')} }`;
    const { oracle, ours } = both(doc, {});
    expect(oracle).toBe('Query exceeds the maximum allowed number of nodes.');
    expect(ours).toBe(oracle);
  });
});
