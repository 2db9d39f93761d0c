// Checks that every field carrying personal data belongs to exactly one data category of the
// catalogue. Every field of Person (but its key) and of the file types under it (an object
// returned by a Person field; a list such as consents is one record kind, not a file) must declare
// @category, so a field added to a file is never released silently under the file's first
// category; deeper fields (entitlement.remainingDays) belong to their declaring field's
// category. Used by the tests and the developer tooling.
import { buildASTSchema, getNamedType, getNullableType, isListType, isObjectType, parse, type GraphQLObjectType } from 'graphql';
import { declaredCategory } from './categories.ts';
import type { CategoryCatalogue } from './catalogue.ts';

export interface CoverageReport {
  /** `Type.field` → category id, for every field that carries personal data. */
  fieldCategories: Map<string, string>;
  /** Human-readable faults: fields without a category, categories not in the catalogue. */
  problems: string[];
}

export function checkCategoryCoverage(sdl: string, catalogue: CategoryCatalogue, root = 'Person'): CoverageReport {
  const schema = buildASTSchema(parse(sdl), { assumeValidSDL: true });
  const person = schema.getType(root);
  const fieldCategories = new Map<string, string>();
  const problems: string[] = [];
  if (!isObjectType(person)) return { fieldCategories, problems: [`no object type ${root}`] };

  const visited = new Set<string>();
  const walk = (type: GraphQLObjectType, inherited: string | undefined, mustDeclare: boolean) => {
    const key = `${type.name}|${inherited ?? ''}`;
    if (visited.has(key)) return;
    visited.add(key);
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      if (type === person && field.name === 'avs') continue; // the key: the requester supplies it
      const declared = declaredCategory(field);
      if (declared && !catalogue.has(declared)) problems.push(`${coordinate} names category "${declared}", which is not in the catalogue`);
      const category = declared ?? (mustDeclare ? undefined : inherited);
      if (!category) {
        problems.push(`${coordinate} carries personal data but has no @category`);
        continue;
      }
      fieldCategories.set(coordinate, category);
      const named = getNamedType(field.type);
      if (isObjectType(named)) walk(named, category, type === person && !isListType(getNullableType(field.type)));
    }
  };
  walk(person, undefined, true);
  return { fieldCategories, problems };
}
