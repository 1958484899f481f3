import {
  FieldNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLCompositeType,
  GraphQLError,
  GraphQLField,
  GraphQLSchema,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SchemaMetaFieldDef,
  SelectionNode,
  SelectionSetNode,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FragmentDefinitionNode,
} from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';

/** The document's fragments by name. */
export function fragmentsOf(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/** Selections an estimate visits at most (graphql-query-complexity's default), before it gives up. */
export const MAX_COST_NODES = 10_000;

/**
 * The estimated cost of `op`, exactly as graphql-query-complexity's `getComplexity` computes it
 * with `estimators` (each field takes the first estimator's number; @include/@skip honoured; an
 * abstract type's selections add up per possible type and the dearest counts; a fragment spread
 * inside itself counts nothing; more than MAX_COST_NODES selections visited is an error), from
 * `variables` already coerced. `getComplexity` coerces the variables again and walks the whole
 * document with a TypeInfo besides its own walk, for nothing it needs: this costs one walk.
 * Throws a GraphQLError for an argument its variables cannot give.
 */
export function operationCost(
  schema: GraphQLSchema,
  doc: DocumentNode,
  op: OperationDefinitionNode,
  variables: Record<string, unknown>,
  estimators: readonly ComplexityEstimator[],
): number {
  const fragments = fragmentsOf(doc);
  const include = schema.getDirective('include');
  const skip = schema.getDirective('skip');
  // graphql-query-complexity passes no variables at all when there are none
  const vars = Object.keys(variables).length > 0 ? variables : undefined;
  const active = new Set<string>();
  let nodes = 0;

  const possibleNames = (t: GraphQLCompositeType): string[] =>
    isAbstractType(t) ? schema.getPossibleTypes(t).map((p) => p.name) : [t.name];

  const included = (s: SelectionNode): boolean => {
    let inc = true;
    let skipped = false;
    for (const d of s.directives ?? []) {
      if (d.name.value === 'include' && include) {
        const v = getDirectiveValues(include, s, vars);
        if (typeof v?.if === 'boolean') inc = v.if;
      } else if (d.name.value === 'skip' && skip) {
        const v = getDirectiveValues(skip, s, vars);
        if (typeof v?.if === 'boolean') skipped = v.if;
      }
    }
    return inc && !skipped;
  };

  const fieldCost = (node: FieldNode, field: GraphQLField<unknown, unknown>, typeDef: GraphQLCompositeType) => {
    const fieldType = getNamedType(field.type);
    const args = getArgumentValues(field, node, vars);
    const childComplexity = isCompositeType(fieldType) && node.selectionSet ? of(node.selectionSet, fieldType) : 0;
    const a = { childComplexity, args, field, node, type: typeDef, context: undefined };
    for (const estimate of estimators) {
      const c = estimate(a);
      if (typeof c === 'number' && !Number.isNaN(c)) return c;
    }
    throw new GraphQLError(`No complexity could be calculated for field ${typeDef.name}.${field.name}.`);
  };

  function of(set: SelectionSetNode, typeDef: GraphQLCompositeType): number {
    const fields = isObjectType(typeDef) || isInterfaceType(typeDef) ? typeDef.getFields() : {};
    const mine = possibleNames(typeDef);
    const per = new Map<string, number>();
    const add = (c: number, names: readonly string[]) => {
      for (const n of names) per.set(n, (per.get(n) ?? 0) + c);
    };
    for (const s of set.selections) {
      if (++nodes >= MAX_COST_NODES) throw new GraphQLError('Query exceeds the maximum allowed number of nodes.');
      if (!included(s)) continue;
      if (s.kind === Kind.FIELD) {
        const name = s.name.value;
        const field =
          name === SchemaMetaFieldDef.name
            ? SchemaMetaFieldDef
            : name === TypeMetaFieldDef.name
              ? TypeMetaFieldDef
              : name === TypeNameMetaFieldDef.name
                ? TypeNameMetaFieldDef
                : fields[name];
        if (field) add(fieldCost(s, field, typeDef), mine);
      } else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (!f || active.has(s.name.value)) continue;
        const t = schema.getType(f.typeCondition.name.value);
        if (!isCompositeType(t)) continue;
        active.add(s.name.value);
        const c = of(f.selectionSet, t);
        active.delete(s.name.value);
        add(c, possibleNames(t));
      } else {
        const t = s.typeCondition ? schema.getType(s.typeCondition.name.value) : typeDef;
        if (!isCompositeType(t)) continue;
        add(of(s.selectionSet, t), possibleNames(t));
      }
    }
    let max = 0;
    for (const c of per.values()) if (c > max) max = c;
    return max;
  }

  const root = schema.getRootType(op.operation);
  return root ? of(op.selectionSet, root) : 0;
}
