// The CII's own subgraph: the entry points into the person graph (a person, a caseload),
// the consent registry (record, revoke, read) and the access log. It holds no registry data.
// Who may do what is declared in the SDL (@category, @permission) and enforced by the shared
// mechanism; the resolvers here validate input and do the work.
import DataLoader from 'dataloader';
import { z } from 'zod';
import { CaseReference } from '../../lib/access/requester.ts';
import { requireAvs } from '../../lib/avs.ts';
import type { ConsentRecord, ConsentStore } from '../../lib/consents/store.ts';
import { errors } from '../../lib/errors.ts';
import type { SubgraphContext, SubgraphDefinition, SubgraphDeps } from '../shared/definition.ts';
import { subgraphSchemaPath } from '../../lib/schema/subgraph-sdl.ts';
import { isoDate } from '../../lib/clock.ts';
import { SUBJECT } from '../shared/subject.ts';
import { buildSituation } from './situation/build.ts';
import type { SituationInputs } from './situation/inputs.ts';
import { log } from '../../lib/log.ts';
import { badInput } from './bad-input.ts';
import { caseResolvers, personCases } from './cases.ts';
import { consentPreviewResolver, consentResolvers, personConsentForms, personConsents } from './consents.ts';

export interface ConsentContext {
  consentsOf: DataLoader<string, ConsentRecord[]>;
}
type Ctx = ConsentContext & SubgraphContext;

const consentLoader = (store: ConsentStore) =>
  new DataLoader<string, ConsentRecord[]>(async (avs) => {
    const found = await storage('consents', () => store.forPersons(avs));
    return avs.map((a) => found.get(a) ?? []);
  });

/** The consent store or the access log failed: fail closed with the catalogued code. */
async function storage<T>(what: 'consents' | 'audit' | 'notifications', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    log.error({ service: 'consent', store: what, reason: (e as Error).message }, 'storage failed');
    throw what === 'consents' || what === 'notifications' ? errors.consentStoreUnavailable() : errors.auditUnavailable();
  }
}

const FeedArgs = z.object({
  since: z.string().regex(/^(0|[1-9]\d{0,15})$/, 'a notification cursor').nullish().transform((v) => Number(v ?? 0)),
  first: z.number().int().min(1, 'at least 1').max(1000, 'at most 1000').nullish().transform((v) => v ?? 100),
});

const AccessLogArgs = z.object({
  first: z.number().int().min(1, 'at least 1').max(1000, 'at most 1000').nullish().transform((v) => v ?? 100),
  before: z.string().regex(/^[1-9]\d*$/, 'an access-log entry id').nullish().transform((v) => v ?? undefined),
  caseReference: CaseReference.nullish().transform((v) => v ?? undefined),
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
      consentPreview: consentPreviewResolver(deps),
      accessLog: async (_: unknown, args: { avs: string; first?: number | null; before?: string | null; caseReference?: string | null }) => {
        const parsed = AccessLogArgs.safeParse(args);
        if (!parsed.success) throw badInput('accessLog', parsed.error);
        const avs = requireAvs(args.avs);
        const entries = await storage('audit', () => deps.audit.query({ avs, ...parsed.data }));
        return entries.map((e) => ({ ...e, rule: e.rule === null ? null : `rules[${e.rule}]` }));
      },
      notifications: async (_: unknown, args: { since?: string | null; first?: number | null }, ctx: Ctx) => {
        const parsed = FeedArgs.safeParse(args);
        if (!parsed.success) throw badInput('notifications', parsed.error);
        const { institution, role } = ctx.access.requester;
        const recipient = deps.policy.actsFor(institution, role);
        const found = await storage('notifications', () => deps.notifications.since(recipient, parsed.data.since, parsed.data.first));
        return found.map((n) => ({ ...n, cursor: String(n.seq) }));
      },
    },
    Mutation: {
      ...caseResolvers(deps),
      ...consentResolvers(deps),
    },
    Person: {
      // The representation carries the fields @requires fetched for the situation.
      __resolveReference: (ref: { avs: unknown }) => ({ ...ref, avs: requireAvs(ref.avs) }),
      situation: (person: SituationInputs & { avs: string }) => ({
        ...buildSituation(person, isoDate(deps.clock.now())),
        [SUBJECT]: person.avs,
      }),
      consents: async (person: { avs: string }, _args: unknown, ctx: Ctx) => personConsents(deps, ctx, person.avs, await ctx.consentsOf.load(person.avs)),
      consentForms: async (person: { avs: string }, _args: unknown, ctx: Ctx) => personConsentForms(await ctx.consentsOf.load(person.avs)),
      cases: (person: { avs: string }) => personCases(deps, person.avs),
    },
  },
});
