// The CII's own subgraph: the entry points into the person graph (a person, a caseload)
// and the person's consents. It holds no registry data.
import { requireAvs } from '../../lib/avs.ts';
import { errors } from '../../lib/errors.ts';
import DataLoader from 'dataloader';
import type { ConsentRecord, ConsentStore } from '../../lib/consents/store.ts';
import type { SubgraphDefinition, SubgraphDeps } from '../shared/definition.ts';
import { subgraphSchemaPath } from '../shared/sdl.ts';

export interface ConsentContext {
  consentsOf: DataLoader<string, ConsentRecord[]>;
}

const consentLoader = (store: ConsentStore) =>
  new DataLoader<string, ConsentRecord[]>(async (avs) => {
    const found = await store.forPersons(avs);
    return avs.map((a) => found.get(a) ?? []);
  });

/** What a client sees of a consent: never the evidence hash or who recorded it. */
const toGraphQL = (c: ConsentRecord) => ({
  id: c.id,
  recipients: c.recipients,
  categories: c.categories,
  purpose: c.purpose,
  validUntil: c.validUntil,
  grantedAt: c.grantedAt,
  revokedAt: c.revokedAt,
});

export const define = (deps: SubgraphDeps): SubgraphDefinition<ConsentContext> => ({
  name: 'consent',
  schemaPath: subgraphSchemaPath('consent'),
  context: () => ({ consentsOf: consentLoader(deps.consents) }),
  resolvers: {
    Query: {
      // A valid AVS always yields a Person: existence is decided per institution and category.
      person: (_: unknown, args: { avs: string }) => ({ avs: requireAvs(args.avs) }),
      persons: (_: unknown, args: { avs: string[] }) => {
        if (args.avs.length > deps.config.maxCaseload) {
          throw errors.badUserInput(`A caseload holds at most ${deps.config.maxCaseload} AVS numbers (got ${args.avs.length}).`, {
            field: 'avs',
          });
        }
        // All validated before any is returned, so a bad number anywhere calls no registry.
        return args.avs.map((a, i) => {
          try {
            return { avs: requireAvs(a) };
          } catch (e) {
            throw errors.badUserInput(`avs[${i}]: ${(e as Error).message}`, { field: 'avs', index: i });
          }
        });
      },
    },
    Person: {
      __resolveReference: (ref: { avs: unknown }) => ({ avs: requireAvs(ref.avs) }),
      consents: async (person: { avs: string }, _args: unknown, ctx: ConsentContext) =>
        (await ctx.consentsOf.load(person.avs)).map(toGraphQL),
    },
  },
});
