import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLOutputType,
  GraphQLSchema,
  isEnumType,
  isLeafType,
  isObjectType,
} from 'graphql';

/** The committed schema (kept equal to the running one by platform.e2e-spec.ts). */
export function loadSchema(): GraphQLSchema {
  return buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));
}

export interface Operation {
  kind: 'query' | 'mutation';
  name: string;
  field: GraphQLField<unknown, unknown>;
  args: readonly GraphQLArgument[];
}

/** Every query and mutation of the schema (subscriptions travel over WebSocket, not covered here). */
export function operations(schema: GraphQLSchema = loadSchema()): Operation[] {
  const out: Operation[] = [];
  for (const [kind, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {}))
      out.push({ kind, name: field.name, field, args: field.args });
  }
  return out;
}

/** A selection of every leaf field down to `depth` object levels (fields with required arguments skipped). */
export function selectionFor(type: GraphQLOutputType, depth = 4): string {
  const named = getNamedType(type);
  if (isLeafType(named) || isEnumType(named)) return '';
  if (!isObjectType(named) || depth === 0) return '{ __typename }';
  const parts: string[] = [];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => a.type.toString().endsWith('!') && a.defaultValue === undefined)) continue;
    const inner = getNamedType(f.type);
    if (isLeafType(inner)) parts.push(f.name);
    else if (depth > 1) parts.push(`${f.name} ${selectionFor(f.type, depth - 1)}`);
  }
  return `{ ${parts.length ? parts.join(' ') : '__typename'} }`;
}

/** `query Op($a: T!, ...) { op(a: $a, ...) { ... } }` passing every argument present in `vars` as a variable. */
export function documentFor(op: Operation, vars: Record<string, unknown>, depth = 4): string {
  const used = op.args.filter((a) => a.name in vars);
  const decl = used.length ? `(${used.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ')})` : '';
  const call = used.length ? `(${used.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  return `${op.kind} ${op.name[0].toUpperCase()}${op.name.slice(1)}${decl} { ${op.name}${call} ${selectionFor(op.field.type, depth)} }`;
}
