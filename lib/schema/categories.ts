// Reads the @category annotations of a subgraph schema, and the categories a selection set
// asks for. Both the registry lookups (ask only for what is selected) and the access policy
// (decide per category) build on this one reading of the SDL.
import {
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isObjectType,
  Kind,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

export const CATEGORY_DIRECTIVE = 'category';
export const PERMISSION_DIRECTIVE = 'permission';

function directiveId(field: GraphQLField<unknown, unknown>, directiveName: string, argument = 'id'): string | undefined {
  const directive = field.astNode?.directives?.find((d) => d.name.value === directiveName);
  const arg = directive?.arguments?.find((a) => a.name.value === argument);
  return arg && arg.value.kind === Kind.STRING ? arg.value.value : undefined;
}

/** The category id declared on a field by @category(id: ...), if any. */
export const declaredCategory = (field: GraphQLField<unknown, unknown>) => directiveId(field, CATEGORY_DIRECTIVE);

/** The permission a field demands by @permission(id: ...), if any. */
export const declaredPermission = (field: GraphQLField<unknown, unknown>) => directiveId(field, PERMISSION_DIRECTIVE);

/** The argument path holding the AVS number an action concerns (@permission(person: ...)), if any. */
export const declaredPermissionPerson = (field: GraphQLField<unknown, unknown>) => directiveId(field, PERMISSION_DIRECTIVE, 'person');

/** typeName → fieldName → category id, for every annotated field of the schema. */
export type CategoryIndex = ReadonlyMap<string, ReadonlyMap<string, string>>;

const indexes = new WeakMap<GraphQLSchema, CategoryIndex>();
/** indexCategories of a schema, built once. */
export function categoryIndexOf(schema: GraphQLSchema): CategoryIndex {
  let index = indexes.get(schema);
  if (!index) indexes.set(schema, (index = indexCategories(schema)));
  return index;
}

export function indexCategories(schema: GraphQLSchema): CategoryIndex {
  const index = new Map<string, Map<string, string>>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const category = declaredCategory(field);
      if (!category) continue;
      let fields = index.get(type.name);
      if (!fields) index.set(type.name, (fields = new Map()));
      fields.set(field.name, category);
    }
  }
  return index;
}

/**
 * The categories of the fields selected directly under the current field (whose type is an
 * object type), honouring fragments and @skip/@include. In deterministic order.
 */
export function selectedCategories(info: GraphQLResolveInfo, index: CategoryIndex): string[] {
  // The same field of every person of a caseload has the same selection: walk it once per
  // operation and variables (graphql-js shares fieldNodes between siblings of a list).
  let byVariables = selections.get(info.fieldNodes);
  if (!byVariables) selections.set(info.fieldNodes, (byVariables = new WeakMap()));
  let found = byVariables.get(info.variableValues);
  if (!found) byVariables.set(info.variableValues, (found = walkSelectedCategories(info, index)));
  return found;
}

const selections = new WeakMap<GraphQLResolveInfo['fieldNodes'], WeakMap<GraphQLResolveInfo['variableValues'], string[]>>();

function walkSelectedCategories(info: GraphQLResolveInfo, index: CategoryIndex): string[] {
  const type = getNamedType(info.returnType);
  const fields = index.get(type.name);
  if (!fields || !isObjectType(type)) return [];
  const found = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, on: GraphQLObjectType) => {
    for (const sel of set?.selections ?? []) {
      if (!included(sel, info)) continue;
      if (sel.kind === Kind.FIELD) {
        const category = fields.get(sel.name.value);
        if (category) found.add(category);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        visit(sel.selectionSet, on);
      } else {
        visit(info.fragments[sel.name.value]?.selectionSet, on);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, type);
  return [...found].sort();
}

function included(node: Parameters<typeof getDirectiveValues>[1], info: GraphQLResolveInfo): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
}
