// grantConsent, revokeConsent and Person.consents (CONTRACT.md sections 4, 6 and 7): who may is
// the policy's (permissions consent.record and consent.revoke, checked by the shared mechanism
// before these run); here, the input is validated, who may withdraw which consent and who sees
// which consents decided (lib/consents/visibility.ts), and every change journaled.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { GroupHeader } from '../../lib/audit/record-format.ts';
import { parseAvs } from '../../lib/avs.ts';
import { previewConsent } from '../../lib/consents/preview.ts';
import { SUPERGRAPH_PATH } from '../../lib/schema/compose.ts';
import { checkCategoryCoverage } from '../../lib/schema/category-coverage.ts';
import { Institution } from '../../lib/schema/catalogue.ts';
import { ConsentChangeNotJournaled, giveConsentJournaled, grantConsentJournaled, revokeConsentJournaled } from '../../lib/consents/changes.ts';
import type { ConsentRecord } from '../../lib/consents/store.ts';
import { givenByThePerson, isThePerson, mayRevoke, visibleConsents, type VisibleConsent } from '../../lib/consents/visibility.ts';
import { errors } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { SubgraphContext, SubgraphDeps } from '../shared/definition.ts';
import { badInput } from './bad-input.ts';
import { grantInputSchema } from './grant-input.ts';

/** What a client sees of a consent: never the evidence hash; the recorder only where it may. */
export const consentToGraphQL = ({ record: c, showRecorder }: VisibleConsent) => ({
  id: c.id,
  recipients: c.recipients,
  categories: c.categories,
  purpose: c.purpose,
  validUntil: c.validUntil,
  grantedAt: c.grantedAt,
  revokedAt: c.revokedAt,
  recordedBy: showRecorder ? c.recordedBy : null,
  revokedBy: showRecorder ? c.revokedBy : null,
});

/** The group header of an action taken in this request. */
export function actionHeader(deps: SubgraphDeps, ctx: SubgraphContext): GroupHeader {
  const { requester, request } = ctx.access;
  return {
    at: deps.clock.now().toISOString(),
    requester,
    purpose: request.purpose ?? null,
    caseReference: request.caseReference ?? null,
    subgraph: 'consent',
    requestId: ctx.requestId,
    policy: `${deps.policy.name} ${deps.policy.version}`,
  };
}

/** The consent store or the access log failed: fail closed with the catalogued code. */
export async function consentStorage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ConsentChangeNotJournaled) {
      log.error({ service: 'consent', reason: e.message }, 'consent change not journaled');
      throw errors.auditUnavailable();
    }
    if ((e as { extensions?: unknown }).extensions) throw e;
    log.error({ service: 'consent', store: 'consents', reason: (e as Error).message }, 'storage failed');
    throw errors.consentStoreUnavailable();
  }
}

const PreviewArgs = z.strictObject({ recipients: z.array(Institution).min(1), categories: z.array(z.string()).min(1), purpose: z.string() });

/** Category → the fields of the composed schema it covers (read once, on the first preview). */
let fieldsByCategory: Map<string, string[]> | undefined;
function fieldsOf(deps: SubgraphDeps, category: string): string[] {
  if (!fieldsByCategory) {
    fieldsByCategory = new Map();
    for (const [coordinate, c] of checkCategoryCoverage(readFileSync(SUPERGRAPH_PATH, 'utf8'), deps.catalogue).fieldCategories) {
      fieldsByCategory.set(c, [...(fieldsByCategory.get(c) ?? []), coordinate]);
    }
  }
  return fieldsByCategory.get(category) ?? [];
}

/** The person's AVS number, from a data-subject token; FORBIDDEN for anyone else. */
function thePerson(ctx: SubgraphContext): string {
  const { requester } = ctx.access;
  const parsed = parseAvs(requester.subject);
  if (!parsed.ok || !isThePerson(requester, parsed.avs)) throw errors.forbiddenAction('Only the person concerned (a data-subject token whose subject is their AVS number) gives a consent themselves.', { reason: 'NOT_THE_PERSON' });
  return parsed.avs;
}

export function consentResolvers(deps: SubgraphDeps) {
  return {
    grantConsent: async (_: unknown, args: { input: unknown }, ctx: SubgraphContext) => {
      const parsed = grantInputSchema(deps.catalogue, deps.policy, deps.clock.now()).safeParse(args.input);
      if (!parsed.success) throw badInput('input', parsed.error);
      const { institution, role, subject } = ctx.access.requester;
      // The evidence must be a form ciigraph stores, and the form of this person's consent.
      const bound = await consentStorage(() => deps.forms.bind(parsed.data.evidence, parsed.data.avs));
      if (bound === 'missing') {
        throw errors.badUserInput('input.evidence: names no stored consent form; store the signed form first (POST /consent-forms) and give its sha256.', { field: 'input.evidence' });
      }
      if (bound === 'bound-to-another') throw errors.badUserInput("input.evidence: is the form of another person's consent.", { field: 'input.evidence' });
      const record = await consentStorage(() =>
        grantConsentJournaled(
          deps.consents,
          deps.journal,
          { ...parsed.data, grantedAt: deps.clock.now().toISOString(), recordedBy: { institution, role, subject } },
          actionHeader(deps, ctx),
        ),
      );
      return consentToGraphQL({ record, showRecorder: true });
    },
    giveConsent: async (_: unknown, args: { input: unknown }, ctx: SubgraphContext) => {
      const avs = thePerson(ctx);
      const raw = typeof args.input === 'object' && args.input !== null ? args.input : {};
      // Checked like a recorded consent; the evidence is ciigraph's own: the hash of the statement the person confirmed.
      const parsed = grantInputSchema(deps.catalogue, deps.policy, deps.clock.now()).safeParse({ ...raw, avs, evidence: '0'.repeat(64) });
      if (!parsed.success) throw badInput('input', parsed.error);
      const grantedAt = deps.clock.now().toISOString();
      const { evidence: _none, ...consent } = parsed.data;
      const preview = previewConsent(deps.policy, deps.catalogue, (c) => fieldsOf(deps, c), consent);
      const statement = JSON.stringify({ ...consent, grantedAt, policy: `${deps.policy.name} ${deps.policy.version}`, preview });
      const evidence = createHash('sha256').update(statement).digest('hex');
      const { institution, role, subject } = ctx.access.requester;
      const record = await consentStorage(() =>
        giveConsentJournaled(deps.consents, deps.journal, { ...consent, evidence, grantedAt, recordedBy: { institution, role, subject } }, actionHeader(deps, ctx)),
      );
      return consentToGraphQL({ record, showRecorder: true });
    },
    revokeConsent: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => {
      const { requester } = ctx.access;
      const { institution, role, subject } = requester;
      const unknown = () => errors.badUserInput(`No consent has the id "${args.id}".`, { field: 'id' });
      const current = await consentStorage(() => deps.consents.get(args.id));
      if (!current) throw unknown();
      // Neither read nor withdrawn by anyone but its recording institution or the person.
      if (!mayRevoke(deps.policy, requester, current)) {
        throw errors.forbiddenAction('Only the institution that recorded a consent, or the person concerned, may withdraw it.', { reason: 'NOT_RECORDER' });
      }
      const record = await consentStorage(() => revokeConsentJournaled(deps.consents, deps.journal, args.id, deps.clock.now().toISOString(), { institution, role, subject }, actionHeader(deps, ctx)));
      if (!record) throw unknown();
      return consentToGraphQL({ record, showRecorder: true });
    },
  };
}

/** Person.consents: the person's consents as this requester may see them. */
export const personConsents = (deps: SubgraphDeps, ctx: SubgraphContext, avs: string, all: readonly ConsentRecord[]) =>
  visibleConsents(deps.policy, ctx.access.requester, avs, all).map(consentToGraphQL);

/** Person.consentForms: the stored forms the person's consents name (a consent the person gave themselves names none). */
export function personConsentForms(all: readonly ConsentRecord[]) {
  const forms = new Map<string, string[]>();
  for (const c of all) if (!givenByThePerson(c)) forms.set(c.evidence, [...(forms.get(c.evidence) ?? []), c.id]);
  return [...forms].map(([sha256, consentIds]) => ({ sha256, path: `/consent-forms/${sha256}`, consentIds }));
}

/** Query.consentPreview: what a consent would release, to whom, under the active policy. */
export function consentPreviewResolver(deps: SubgraphDeps) {
  return (_: unknown, args: unknown) => {
    const parsed = PreviewArgs.safeParse(args);
    if (!parsed.success) throw badInput('consentPreview', parsed.error);
    const unknownCategory = parsed.data.categories.find((c) => !deps.catalogue.has(c));
    if (unknownCategory) throw errors.badUserInput(`consentPreview.categories: "${unknownCategory}" is not a category of the catalogue`, { field: 'categories' });
    if (!deps.policy.purposes.has(parsed.data.purpose)) throw errors.badUserInput(`consentPreview.purpose: must be a purpose of the active policy (${[...deps.policy.purposes.keys()].join(', ')})`, { field: 'purpose' });
    return previewConsent(deps.policy, deps.catalogue, (c) => fieldsOf(deps, c), parsed.data);
  };
}
