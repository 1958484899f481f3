// Every GraphQL document the load tests send must be valid against the API's committed schema
// (apps/api/schema.graphql), so a renamed field breaks this test rather than a load run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { DOCS } from './api';

const schema = buildSchema(readFileSync(join(__dirname, '..', '..', 'apps', 'api', 'schema.graphql'), 'utf8'));

describe('load-test GraphQL documents against apps/api/schema.graphql', () => {
  it.each(Object.entries(DOCS))('%s is valid', (_name, doc) => {
    expect(validate(schema, parse(doc)).map((e) => e.message)).toEqual([]);
  });

  it('the check itself rejects a document with a misspelt field', () => {
    expect(validate(schema, parse(DOCS.bookCompute.replace('greenShare', 'greenShares'))).length).toBeGreaterThan(0);
  });
});
