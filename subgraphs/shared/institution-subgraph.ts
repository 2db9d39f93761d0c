// The shape every institutional subgraph shares: Person extended by one file field whose
// data comes from the institution's registry. A subgraph only says which field, which
// registry record and how a record maps onto its GraphQL file type.
import type { GraphQLResolveInfo } from 'graphql';
import type { z } from 'zod';
import { requireAvs } from '../../lib/avs.ts';
import type { RegistrySubgraphName } from '../../lib/config.ts';
import type { Institution } from '../../lib/schema/catalogue.ts';
import { categoryIndexOf, selectedCategories } from '../../lib/schema/categories.ts';
import type { SubgraphDefinition, SubgraphDeps } from './definition.ts';
import { createFileLoader, type FileLoader } from './file-loader.ts';
import { RegistryClient } from './registry-client.ts';
import { sectionOf } from './registry-schema.ts';
import { checkRegistrySections } from './registry-sections.ts';
import { subgraphSchemaPath } from '../../lib/schema/subgraph-sdl.ts';
import { SUBJECT } from './subject.ts';
import type { Observation } from '../../lib/notifications/observation.ts';
import { categoriesWatched } from '../../lib/notifications/rules/index.ts';
import type { SubgraphContext } from './definition.ts';

export interface InstitutionSubgraphSpec<R extends { avs: string }> {
  name: RegistrySubgraphName;
  institution: Institution;
  /** The Person field holding the file, e.g. `unemployment`. */
  personField: string;
  record: z.ZodType<R>;
  /** Maps a registry record (with the sections asked) onto the GraphQL file type. */
  toFile(record: R): Record<string, unknown>;
  /** What the event rules compare of a file (lib/notifications); without it, the institution's changes are not watched. */
  observe?(record: R): Observation;
}

export interface InstitutionContext<R> {
  files: FileLoader<R>;
}

/**
 * The selected categories other than the file's own, one list per selection: the same list
 * for every person of a caseload, so what is derived from it (its slots) is derived once.
 */
const otherThanFile = new WeakMap<readonly string[], string[]>();
function besides(selected: readonly string[], fileCategory: string): string[] {
  let others = otherThanFile.get(selected);
  if (!others) otherThanFile.set(selected, (others = selected.filter((c) => c !== fileCategory)));
  return others;
}

export function defineInstitutionSubgraph<R extends { avs: string }>(
  spec: InstitutionSubgraphSpec<R>,
  deps: SubgraphDeps,
): SubgraphDefinition<InstitutionContext<R>> {
  checkRegistrySections(spec.name, spec.institution, spec.record, deps.catalogue);
  const client = new RegistryClient({
    institution: spec.institution,
    baseUrl: deps.config.registryUrls[spec.name],
    timeoutMs: deps.config.registryTimeoutMs,
    record: spec.record,
    call: deps.registryCall,
  });
  const observe = spec.observe;
  // The registry is asked for the sections the rules watching this institution read, and no more.
  const watchedSections = categoriesWatched(spec.institution).map(sectionOf);
  return {
    name: spec.name,
    schemaPath: subgraphSchemaPath(spec.name),
    ...(observe && watchedSections.length
      ? {
          watch: {
            institution: spec.institution,
            subgraph: spec.name,
            observe: async (avs: readonly string[]) => {
              const files = await client.lookup(avs.map((a) => ({ avs: a, sections: watchedSections })));
              return new Map([...files].map(([a, r]) => [a, observe(r)]));
            },
          },
        }
      : {}),
    context: () => ({ files: createFileLoader(client) }),
    health: () => ({ registry: client.circuit }),
    resolvers: {
      Person: {
        __resolveReference: (ref: { avs: unknown }) => ({ avs: requireAvs(ref.avs) }),
        [spec.personField]: async (
          person: { avs: string },
          _args: unknown,
          ctx: InstitutionContext<R> & SubgraphContext,
          info: GraphQLResolveInfo,
        ) => {
          const index = categoryIndexOf(info.schema);
          // The file field's own category is the existence section: always asked with the rest
          // (enforcement released it before this resolver ran). The other selected categories
          // are decided first, and the registry is asked only for those released: it never
          // sends what will not be returned.
          const first = index.get('Person')?.get(spec.personField);
          if (!first) throw new Error(`Person.${spec.personField} has no @category`);
          const selected = besides(selectedCategories(info, index), first);
          const released = await ctx.access.released(person.avs, selected);
          const sections = [first, ...released].map(sectionOf);
          const record = await ctx.files.load({ avs: person.avs, sections });
          return record ? { ...spec.toFile(record), [SUBJECT]: person.avs } : null;
        },
      },
    },
  };
}
