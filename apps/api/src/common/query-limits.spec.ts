import { buildSchema, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { depthLimitRule, oneMutationRule, queryCostError, rootFieldCount } from './query-limits';

const schema = buildSchema(`
  type Me { id: ID, me: Me }
  type Query { me: Me }
  type Mutation { a: Int, b: Int }
`);

/** n fragments, each spreading the one before twice: 2^n visits for a walk that does not remember. */
function chain(n: number, base: string, on = 'Query', op = ''): string {
  const defs = [`fragment F0 on ${on} { ${base} }`];
  for (let i = 1; i < n; i++) defs.push(`fragment F${i} on ${on} { ...F${i - 1} ...F${i - 1} }`);
  return `${op}{ ...F${n - 1} }\n${defs.join('\n')}`;
}

const operation = (doc: ReturnType<typeof parse>) =>
  doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;

describe('query limits walk each fragment once', () => {
  // found by a security review: a 1 kB anonymous request of 30 such fragments held a production
  // process at 100 % CPU for over ten minutes in the depth rule, before any other limit ran
  it('depth, one mutation, root fields and cost of 2^24 and 2^22 fragment chains come back at once', () => {
    // (sizes at which the walk that did not remember took minutes: a failure, not a hang)
    const doc = parse(chain(24, 'me { me { id } }'));
    expect(validate(schema, doc, [depthLimitRule(2)]).map((e) => e.message)).toEqual([
      'query depth 3 exceeds the limit of 2',
    ]);
    expect(validate(schema, doc, [depthLimitRule(3)])).toEqual([]);
    expect(rootFieldCount(doc, operation(doc))).toBe(1);
    // the cost estimator refuses it (it stops counting at its node limit)
    expect(queryCostError({ schema, document: doc }, 1_000_000)?.message).toMatch(/maximum allowed number of nodes/);
    const mutation = parse(chain(22, 'a', 'Mutation', 'mutation '));
    expect(validate(schema, mutation, [oneMutationRule]).map((e) => e.message)).toEqual([
      expect.stringMatching(/^a request runs one mutation, got 2097152 \(a, a, a, a, a, …\)/),
    ]);
  });

  it('counts root fields through inline and named fragments, a key once however often it is selected', () => {
    const count = (q: string) => {
      const doc = parse(q);
      return rootFieldCount(doc, operation(doc));
    };
    expect(count('{ a: me { id } b: me { id } }')).toBe(2);
    expect(count('{ ... on Query { a: me { id } b: me { id } } }')).toBe(2);
    expect(count('{ ...F ...F a: me { id } } fragment F on Query { a: me { id } b: me { id } }')).toBe(2);
    expect(count('{ me { id } me { id } }')).toBe(1);
  });
});
