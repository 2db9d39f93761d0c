// The one enforcement mechanism of every subgraph: a schema transform that wraps each field
// annotated with @category so that it resolves only after the access decision for that
// person and category allowed it. Denied: null and FORBIDDEN with the category, decided
// before any data is read, so it reads the same whether or not the data exists.
// No resolver checks access itself.
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { errors } from '../../lib/errors.ts';
import { declaredCategory } from './categories.ts';
import type { SubgraphContext } from './definition.ts';
import { subjectOf } from './subject.ts';

export function enforceCategories(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const category = declaredCategory(field);
      if (category) field.resolve = guarded(category, field.resolve ?? defaultFieldResolver, `${type.name}.${field.name}`);
    }
  }
  return schema;
}

function guarded(
  category: string,
  resolve: GraphQLFieldResolver<unknown, SubgraphContext>,
  coordinate: string,
): GraphQLFieldResolver<unknown, SubgraphContext> {
  return (source, args, ctx, info) => {
    const avs = subjectOf(source);
    // An object that does not say whose data it holds cannot be decided on: no data.
    if (!avs) throw new Error(`${coordinate}: no subject on the parent object`);
    const settled = ctx.access.settledDecision(avs, category);
    if (settled) {
      if (!settled.allowed) throw errors.forbiddenCategory(category);
      return resolve(source, args, ctx, info);
    }
    return ctx.access.decide(avs, category).then((d) => {
      if (!d.allowed) throw errors.forbiddenCategory(category);
      return resolve(source, args, ctx, info);
    });
  };
}
