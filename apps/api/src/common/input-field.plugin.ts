import type { ApolloServerPlugin } from '@apollo/server';
import {
  ASTNode,
  coerceInputValue,
  DocumentNode,
  GraphQLError,
  GraphQLSchema,
  isInputType,
  Kind,
  OperationDefinitionNode,
  typeFromAST,
  ValueNode,
  visit,
} from 'graphql';

/** What naming an input error needs of its request (the same over HTTP and WebSocket). */
interface InputContext {
  schema: GraphQLSchema;
  operation?: OperationDefinitionNode | null;
  variables?: Record<string, unknown> | null;
}

/** Where the document's input nodes are: each argument and value node inside one, and each variable's first use. */
interface ArgumentPaths {
  byNode: Map<ASTNode, string>;
  byVariable: Map<string, string>;
}

/**
 * Every argument of the document and every value node inside one, with its argument path (the
 * first, for a node met twice), looked up by node: an error may carry a node per repeated
 * argument (131,000 in a 512 kB document), each found at once, not by a search of the list.
 */
function argumentPaths(doc: DocumentNode): ArgumentPaths {
  const byNode = new Map<ASTNode, string>();
  const byVariable = new Map<string, string>();
  const add = (node: ASTNode, path: string) => {
    if (!byNode.has(node)) byNode.set(node, path);
    if (node.kind === Kind.VARIABLE && !byVariable.has(node.name.value)) byVariable.set(node.name.value, path);
  };
  const walk = (v: ValueNode, path: string) => {
    add(v, path);
    if (v.kind === Kind.OBJECT) {
      for (const f of v.fields) {
        add(f, `${path}.${f.name.value}`);
        walk(f.value, `${path}.${f.name.value}`);
      }
    } else if (v.kind === Kind.LIST) {
      v.values.forEach((x, i) => walk(x, `${path}[${i}]`));
    }
  };
  visit(doc, {
    Argument(arg) {
      add(arg, arg.name.value);
      add(arg.name, arg.name.value); // (errors about a repeated argument carry its name nodes)
      walk(arg.value, arg.name.value);
    },
  });
  return { byNode, byVariable };
}

const printPath = (path: readonly (string | number)[]) =>
  path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');

/**
 * Where in the variable's value graphql-js found the fault. Its message prints the value before
 * the path, so the path is taken from coercing the value again, not from the text.
 */
function pathInVariable(e: GraphQLError, ctx: InputContext, name: string): string {
  const def = ctx.operation?.variableDefinitions?.find((d) => d.variable.name.value === name);
  const type = def && typeFromAST(ctx.schema, def.type);
  if (!type || !isInputType(type)) return '';
  // the first fault whose path the message names; the coercion stops there (a list of 131,000
  // wrong items would otherwise print every path), or after FAULTS_LOOKED_AT faults
  let found = '';
  let looked = 0;
  const stop = new Error('found');
  try {
    coerceInputValue(ctx.variables?.[name], type, (path) => {
      const p = printPath(path);
      if (p && e.message.includes(` at "${name}${p}"; `)) found = p;
      if (found || ++looked >= FAULTS_LOOKED_AT) throw stop;
    });
  } catch (x) {
    if (x !== stop) throw x;
  }
  return found;
}

/** How many faults of a variable's value pathInVariable reads at most. */
const FAULTS_LOOKED_AT = 100;

/** An input object's missing field, named by the message (literal: "T.f", variable: "f"). */
const MISSING_FIELD = /Field "(?:\w+\.)?(\w+)" of required type "[^"]*" was not provided\.$/;
/** A field a variable's input object has but its type does not (graphql-js may add a suggestion). */
const UNKNOWN_FIELD = /; Field "(\w+)" is not defined by type "\w+"\.(?: Did you mean [^;]*\?)?$/;

/** The argument path an input error is about, as the API's own validation names it. */
function fieldOf(e: GraphQLError, ctx: InputContext, args: ArgumentPaths): string | undefined {
  const missing = MISSING_FIELD.exec(e.message);
  for (const n of e.nodes ?? []) {
    const at = args.byNode.get(n);
    if (at !== undefined) return missing && n.kind === Kind.OBJECT ? `${at}.${missing[1]}` : at;
  }
  const argument = /^Field "\w+" argument "(\w+)" of type "[^"]*" is required, but it was not provided\.$/.exec(
    e.message,
  );
  if (argument) return argument[1];
  const variable = /^Variable "\$(\w+)" /.exec(e.message);
  if (!variable) return undefined;
  const at = args.byVariable.get(variable[1]);
  if (at === undefined) return undefined;
  const inside = pathInVariable(e, ctx, variable[1]);
  const unknown = UNKNOWN_FIELD.exec(e.message);
  const named = missing ?? unknown;
  return at + inside + (named && / got invalid value /.test(e.message) ? `.${named[1]}` : '');
}

const INPUT_CODES = new Set(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * GraphQL's own input errors (a literal or a variable of the wrong type, a missing argument or
 * input field) get `extensions.field` with the argument path, like the API's validation errors
 * (`request.hours`, `megawatts`): variables are traced to the argument they are used in. In place.
 */
export function nameInputFields(errors: readonly GraphQLError[], document: DocumentNode, ctx: InputContext): void {
  let args: ArgumentPaths | undefined;
  for (const e of errors) {
    const ext = e.extensions as Record<string, unknown>;
    if (!INPUT_CODES.has(String(ext.code)) || ext.field !== undefined) continue;
    args ??= argumentPaths(document);
    const field = fieldOf(e, ctx, args);
    if (field !== undefined) ext.field = field;
  }
}

/** `nameInputFields` over HTTP (Apollo). */
export function inputFieldPlugin(): ApolloServerPlugin<object> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors(ctx) {
          if (!ctx.document || !ctx.errors) return;
          nameInputFields(ctx.errors, ctx.document, {
            schema: ctx.schema,
            operation: ctx.operation,
            variables: ctx.request.variables,
          });
        },
      };
    },
  };
}
