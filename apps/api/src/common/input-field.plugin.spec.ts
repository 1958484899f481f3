import { buildSchema, GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { nameInputFields } from './input-field.plugin';
import { queryCostError } from './query-limits';

const schema = buildSchema(`
  type Query { me(a: Int): Int, prices(p: [Float]!): Int }
`);

// found by a review of requests whose cost is out of proportion to their size: both held a process
// for seconds to minutes before any other limit ran, without a key
describe('naming input errors stays proportional to the request', () => {
  it('an argument repeated 60,000 times: one error with 60,000 nodes, named at once', () => {
    const doc = parse(`{ me(${Array.from({ length: 60_000 }, () => 'a: 1').join(', ')}) }`);
    const [v] = validate(schema, doc, specifiedRules);
    expect([v.message, v.nodes?.length]).toEqual(['There can be only one argument named "a".', 60_000]);
    // as Apollo reports it
    const e = new GraphQLError(v.message, { nodes: v.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    nameInputFields([e], doc, { schema });
    expect(e.extensions.field).toBe('a');
  });

  it('a variable list of 131,000 wrong items: refused after 50 faults, the fault named', () => {
    const doc = parse('query($p: [Float]!) { prices(p: $p) }');
    const variables = { p: Array.from({ length: 131_000 }, () => 'a') };
    const e = queryCostError({ schema, document: doc, variables }, 5000)!;
    expect(e.message).toBe(
      'Variable "$p" got invalid value "a" at "p[49]"; Float cannot represent non numeric value: "a"',
    );
    const op = doc.definitions[0] as never;
    nameInputFields([e], doc, { schema, operation: op, variables });
    expect(e.extensions.field).toBe('p[49]');
  });
});
