// The one enforcement mechanism of every subgraph: a schema transform that wraps
// - each field annotated with @category, so that it resolves only after the access decision
//   for that person and category allowed it (request-decisions.ts: collect, decide, journal).
//   Denied: null and FORBIDDEN with the category and the reason, decided before any data is
//   read, so it reads the same whether or not the data exists.
//   Whose data: the parent object's subject, or for a root field its `avs` argument.
//   A field whose object can only be reached through fields of its own category (a file's
//   `office` under `Person.unemployment`, both ac.registration) was decided with that field:
//   it is not asked again (see decidedOnArrival).
// - each field annotated with @permission, so that only roles the policy grants that
//   permission may take the action, under the action's conditions (an open case for the person).
// No resolver checks access itself.
import {
  defaultFieldResolver,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  responsePathAsArray,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { parseAvs, requireAvs } from '../../lib/avs.ts';
import type { Policy } from '../../lib/access/policy.ts';
import { errors } from '../../lib/errors.ts';
import { categoryIndexOf, declaredCategory, declaredPermission, declaredPermissionPerson, selectedCategories } from '../../lib/schema/categories.ts';
import type { SubgraphContext } from './definition.ts';
import type { Outcome } from './ask-collector.ts';
import { subjectOf } from './subject.ts';

type Resolver = GraphQLFieldResolver<unknown, SubgraphContext>;

export function enforceCategories(schema: GraphQLSchema, policy: Policy): GraphQLSchema {
  const roots = rootNames(schema);
  const onArrival = decidedOnArrival(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const category = declaredCategory(field);
      if (category && category !== onArrival.get(type.name)) {
        field.resolve = guarded(category, field.resolve ?? defaultFieldResolver, coordinate, roots.has(type.name));
      }
      const permission = declaredPermission(field);
      if (permission) field.resolve = permitted(permission, declaredPermissionPerson(field), field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}

/**
 * Per object type, the category already decided (and allowed) for any object of it that a
 * resolver sees: every field of the schema that returns the type is guarded by that one
 * category, and nothing else reaches it (not a root, not an entity that _entities could
 * return, in no union, implementing no interface). The object is then the data of the same
 * person as that field's (a subgraph builds a file for the person it was asked about), so
 * its fields of that category need no second decision.
 */
export function decidedOnArrival(schema: GraphQLSchema): Map<string, string> {
  const reachedBy = new Map<string, (string | undefined)[]>();
  const inAbstract = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isUnionType(type)) for (const member of type.getTypes()) inAbstract.add(member.name);
    if (isObjectType(type) && type.getInterfaces().length > 0) inAbstract.add(type.name);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type).name;
      let via = reachedBy.get(target);
      if (!via) reachedBy.set(target, (via = []));
      via.push(declaredCategory(field));
    }
  }
  const roots = rootNames(schema);
  const decided = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || roots.has(type.name) || inAbstract.has(type.name) || isEntity(type)) continue;
    const via = reachedBy.get(type.name);
    const category = via?.[0];
    if (category !== undefined && via!.every((c) => c === category)) decided.set(type.name, category);
  }
  return decided;
}

/** The schema's root types: their fields take whose data from an `avs` argument. */
function rootNames(schema: GraphQLSchema): Set<string> {
  return new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) => (t ? [t.name] : [])));
}

/** An entity (@key): the gateway may ask for it directly through _entities. */
const isEntity = (type: GraphQLObjectType) => [type.astNode, ...type.extensionASTNodes].some((n) => n?.directives?.some((d) => d.name.value === 'key'));

function guarded(category: string, resolve: Resolver, coordinate: string, root: boolean): Resolver {
  return (source, args, ctx, info) => {
    const avs = root ? requireAvs((args as { avs?: unknown }).avs) : subjectOf(source);
    // An object that does not say whose data it holds cannot be decided on: no data.
    if (!avs) throw new Error(`${coordinate}: no subject on the parent object`);
    // Most fields under a file were decided with it (see AccessDecisions.ask's `under`): no promise for them.
    const known = ctx.access.known(avs, category);
    if (known !== undefined) {
      assertReleased(known, ctx, info);
      return resolve(source, args, ctx, info);
    }
    const under = selectedCategories(info, categoryIndexOf(info.schema));
    return ctx.access.ask(avs, category, under).then((decision) => {
      assertReleased(decision, ctx, info);
      return resolve(source, args, ctx, info);
    });
  };
}

function assertReleased(outcome: Outcome, ctx: SubgraphContext, info: GraphQLResolveInfo): void {
  if (outcome instanceof Error) throw outcome;
  // Located where it is thrown: a caseload denies hundreds of fields per request.
  if (!outcome.allowed) throw errors.denied(outcome, ctx.access.explain(outcome), { nodes: info.fieldNodes, path: responsePathAsArray(info.path) });
}

function permitted(permission: string, person: string | undefined, resolve: Resolver): Resolver {
  const path = person?.split('.') ?? [];
  return async (source, args, ctx, info) => {
    // Whose data the action concerns, validated like any AVS input; no person: conditions about one cannot be met.
    const raw = path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), args);
    let avs: string | undefined;
    if (person !== undefined) {
      const parsed = typeof raw === 'string' ? parseAvs(raw) : ({ ok: false, message: 'An AVS number is a string.' } as const);
      if (!parsed.ok) throw errors.badUserInput(`${person}: ${parsed.message}`, { field: person, fields: [person] });
      avs = parsed.avs;
    }
    const decision = await ctx.access.decideAction(permission, avs);
    if (!decision.allowed) throw errors.forbiddenAction(ctx.access.explainAction(permission, decision), { reason: decision.reason, ...(decision.condition ? { condition: decision.condition.type } : {}) });
    return resolve(source, args, ctx, info);
  };
}
