// The CII situation: one timeline across institutions and the signals of its passages,
// built only from what the requester may see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupPerson } from '../mocks/registry-data.ts';
import type { MockPerson } from '../mocks/persons.ts';
import { buildSituation } from '../subgraphs/consent/situation/build.ts';
import type { SituationInputs } from '../subgraphs/consent/situation/inputs.ts';
import { supportGap } from '../subgraphs/consent/situation/signals/support-gap.ts';
import { entitlementExhausting } from '../subgraphs/consent/situation/signals/entitlement-exhausting.ts';
import { doubleFunding } from '../subgraphs/consent/situation/signals/double-funding.ts';
import { aiPendingDuringPlacement } from '../subgraphs/consent/situation/signals/ai-pending-during-placement.ts';
import { timeline } from '../subgraphs/consent/situation/timeline.ts';
import type { Institution } from '../lib/schema/catalogue.ts';
import { seedConsent } from './support/consents.ts';
import { personsWithEveryFile } from './support/persons.ts';
import { released, REQUESTERS, type ConsentState, type OpenCases } from './support/policy-oracle.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const TODAY = '2026-11-20'; // the day the mock registries describe
const SITUATION = `situation { asOf basedOn periods { institution kind label from to category } signals { rule message from to categories } }`;
const ALL = ['ac.registration', 'ac.entitlement', 'ac.measures', 'ac.employability', 'ai.file', 'ai.measures', 'ai.decision', 'ai.workCapacity', 'as.dossier', 'as.benefits', 'as.situation', 'pc.entitlement', 'pc.hypotheticalIncome'];

/** The situation's inputs as a requester released `allowed` would receive them: the oracle. */
function visibleInputs(p: MockPerson, allowed: (category: string) => boolean): SituationInputs {
  const u = p.unemployment;
  const d = p.disability;
  const a = p.socialAssistance;
  const s = p.supplementaryBenefits;
  return {
    unemployment: u && allowed('ac.registration')
      ? {
          registeredSince: u.registration.registeredSince,
          entitlement: allowed('ac.entitlement') && u.entitlement ? { frameworkStart: u.entitlement.frameworkStart, exhaustionDate: u.entitlement.exhaustionDate, remainingDays: u.entitlement.remainingDays } : null,
          measures: allowed('ac.measures') ? u.measures.map(({ kind, title, from, to }) => ({ kind, title, from, to })) : null,
          employability: allowed('ac.employability') && u.employability ? { placeable: u.employability.placeable } : null,
        }
      : null,
    disability: d && allowed('ai.file')
      ? {
          filedOn: d.file.filedOn,
          status: d.file.status,
          measures: allowed('ai.measures') ? d.measures.map(({ kind, title, from, to }) => ({ kind, title, from, to })) : null,
          decision: allowed('ai.decision') ? d.decision : null,
        }
      : null,
    socialAssistance: a && allowed('as.dossier')
      ? { openedOn: a.dossier.openedOn, benefits: allowed('as.benefits') && a.benefits ? { complementsUnemployment: a.benefits.complementsUnemployment } : null }
      : null,
    supplementaryBenefits: s && allowed('pc.entitlement')
      ? { entitledSince: s.entitlement.entitledSince, orpRegistrationRequired: allowed('pc.hypotheticalIncome') ? s.hypotheticalIncome.orpRegistrationRequired : null }
      : null,
  };
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ clock: { now: () => new Date(`${TODAY}T12:00:00Z`) } });
  await seedConsent(stack.consents, { avs: PAINTER, recipients: ['CII'], categories: ALL, purpose: 'cii' });
});
afterAll(async () => stack?.close());

describe("the painter's situation, as his CII referent sees it", () => {
  it('shows each passage of his story on one timeline', async () => {
    const { body } = await gql(stack.gatewayUrl, `{ person(avs: "${PAINTER}") { ${SITUATION} } }`, {}, stack.as({ institution: 'AS', role: 'cii-referent', purpose: 'cii' }));
    expect(body.errors).toBeUndefined();
    const s = body.data.person.situation;
    expect(s.asOf).toBe(TODAY);
    expect(s.periods.map((p: { kind: string; from: string; to: string | null }) => [p.kind, p.from, p.to])).toEqual([
      ['DAILY_ALLOWANCE', '2026-02-02', '2027-01-29'],
      ['ORP_REGISTRATION', '2026-02-02', null],
      ['SOCIAL_ASSISTANCE', '2026-03-02', null],
      ['LABOUR_MARKET_MEASURE', '2026-05-04', '2026-07-31'],
      ['AI_REQUEST', '2026-06-15', null],
      ['AI_MEASURE', '2026-07-01', '2026-08-31'],
      ['AI_MEASURE', '2026-09-07', '2027-06-30'],
    ]);
    expect(s.periods.find((p: { kind: string }) => p.kind === 'SOCIAL_ASSISTANCE').label).toMatch(/topping up the daily allowance/);
    // The signals of his passages: the allowance runs out while AS and AI follow him, the ORP
    // course overlaps the AI's early intervention, the AI request is pending during placement.
    expect(s.signals.map((x: { rule: string }) => x.rule)).toEqual(['entitlement-exhausting', 'double-funding', 'ai-pending-during-placement']);
    expect(s.signals[0]).toMatchObject({ to: '2027-01-29', categories: ['ac.entitlement', 'as.dossier', 'ai.file'] });
    expect(s.signals[0].message).toMatch(/in 70 days/);
    expect(s.signals[1]).toMatchObject({ from: '2026-07-01', to: '2026-07-31', categories: ['ac.measures', 'ai.measures'] });
    for (const signal of s.signals) for (const c of signal.categories) expect(s.basedOn).toContain(c);
  });

  it('is refused to a role the policy gives no CII view (a physician), and needs the cii purpose', async () => {
    const physician = await gql(stack.gatewayUrl, `{ person(avs: "${PAINTER}") { situation { asOf } } }`, {}, stack.as({ institution: 'AI', role: 'physician', purpose: 'cii' }));
    expect(physician.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'cii.situation' });
    const placement = await gql(stack.gatewayUrl, `{ person(avs: "${PAINTER}") { situation { asOf } } }`, {}, stack.as({ institution: 'AC', role: 'counsellor', purpose: 'placement' }));
    expect(placement.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'cii.situation' });
  });

  it('answers without errors for the inputs it could not see', async () => {
    // The PC office opens its case for the painter; his social assistance it may read only with a consent naming PC.
    await stack.cases.openCase({ avs: PAINTER, institution: 'PC', caseReference: 'PC-GE-2026-9001', on: TODAY });
    const { body } = await gql(stack.gatewayUrl, `{ person(avs: "${PAINTER}") { situation { basedOn } } }`, {}, stack.as({ institution: 'PC', role: 'pc-officer', purpose: 'cii' }));
    expect(body.errors).toBeUndefined();
    expect(body.data.person.situation.basedOn).not.toContain('as.dossier');
  });
});

describe('derived data never leaks what the policy withholds', () => {
  const caseload = personsWithEveryFile(12, 500_000_000);
  const states: ConsentState[] = ['none', 'valid'];
  // Consents of every kind for half the caseload, to every institution.
  const withConsent = new Set(caseload.slice(0, 6));
  beforeAll(async () => {
    for (const avs of withConsent) {
      await seedConsent(stack.consents, { avs, recipients: ['AC', 'AI', 'AS', 'PC', 'CII'], categories: ALL, purpose: 'cii' });
    }
  });

  it.each(REQUESTERS.map((r) => [`${r.institution} ${r.role}`, r] as const))('%s sees exactly the situation built from what it is released', async (_n, r) => {
    // A caseload: each person's own open cases apply (one at every institution where the mocks give a file; none at the CII).
    const facts = { purpose: 'cii' };
    const { body } = await gql(stack.gatewayUrl, `query($avs: [ID!]!) { persons(avs: $avs) { ${SITUATION} } }`, { avs: caseload }, stack.as({ ...r, ...facts }));
    caseload.forEach((avs, i) => {
      const digits = avs.replace(/\D/g, '');
      const cases: OpenCases = { AC: [`AC-GEN-${digits}`], AI: [`AI-GEN-${digits}`], AS: [`AS-GEN-${digits}`], PC: [`PC-GEN-${digits}`] };
      const situation = body.data.persons[i].situation;
      if (!released(r.institution, r.role, 'cii.situation', 'none', facts, cases)) {
        expect(situation).toBeNull();
        return;
      }
      const state = withConsent.has(avs) ? states[1]! : states[0]!;
      const allowed = (c: string) => released(r.institution as Institution, r.role, c, state, facts, cases);
      const expected = buildSituation(visibleInputs(lookupPerson(avs), allowed), TODAY);
      expect(situation, `${avs} ${state}`).toEqual(expected);
      for (const c of situation.basedOn) expect(allowed(c), c).toBe(true);
      for (const p of situation.periods) expect(allowed(p.category), p.category).toBe(true);
      for (const signal of situation.signals) for (const c of signal.categories) expect(allowed(c), `${signal.rule} ${c}`).toBe(true);
    });
  });
});

describe('signal rules', () => {
  const base: SituationInputs = {};
  it('support-gap: names the days between the end of the allowance and the start of social assistance', () => {
    const inputs: SituationInputs = {
      ...base,
      unemployment: { registeredSince: '2025-01-06', entitlement: { frameworkStart: '2025-01-06', exhaustionDate: '2026-01-02', remainingDays: 0 } },
      socialAssistance: { openedOn: '2026-02-16' },
    };
    const signals = supportGap.detect(timeline(inputs), inputs, '2026-11-20');
    expect(signals).toEqual([expect.objectContaining({ rule: 'support-gap', from: '2026-01-03', to: '2026-02-15', categories: ['ac.entitlement', 'as.dossier'] })]);
    expect(signals[0]!.message).toMatch(/44 days/);
    // Social assistance from the day after: no gap.
    const covered = { ...inputs, socialAssistance: { openedOn: '2026-01-03' } };
    expect(supportGap.detect(timeline(covered), covered, '2026-11-20')).toEqual([]);
  });

  it('support-gap: an allowance ending soon with nothing known to follow', () => {
    const inputs: SituationInputs = { unemployment: { registeredSince: '2025-06-02', entitlement: { frameworkStart: '2025-06-02', exhaustionDate: '2026-12-31', remainingDays: 29 } } };
    expect(supportGap.detect(timeline(inputs), inputs, '2026-11-20')).toEqual([expect.objectContaining({ from: '2027-01-01', to: null })]);
    expect(supportGap.detect(timeline(inputs), inputs, '2026-06-01')).toEqual([]); // beyond the 90-day horizon
  });

  it('entitlement-exhausting: within 90 days and only with an AS dossier or an AI file', () => {
    const u = { registeredSince: '2026-01-05', entitlement: { frameworkStart: '2026-01-05', exhaustionDate: '2027-02-17', remainingDays: 60 } };
    expect(entitlementExhausting.detect([], { unemployment: u }, '2026-11-20')).toEqual([]);
    expect(entitlementExhausting.detect([], { unemployment: u, disability: { filedOn: '2026-05-01', status: 'FILED' } }, '2026-11-20')).toHaveLength(1);
    expect(entitlementExhausting.detect([], { unemployment: u, disability: { filedOn: '2026-05-01', status: 'FILED' } }, '2026-11-18')).toEqual([]); // 91 days
    expect(entitlementExhausting.detect([], { unemployment: u, socialAssistance: { openedOn: '2026-03-01' } }, '2027-02-18')).toEqual([]); // already exhausted
  });

  it('double-funding and ai-pending-during-placement', () => {
    const inputs: SituationInputs = {
      unemployment: { registeredSince: '2026-01-05', measures: [{ kind: 'COURSE', title: 'A', from: '2026-03-01', to: '2026-03-31' }] },
      disability: { filedOn: '2026-02-01', status: 'DECIDED', measures: [{ kind: 'INTEGRATION', title: 'B', from: '2026-04-01', to: '2026-04-30' }], decision: { invalidityDegree: 20, pension: 0, decidedOn: '2026-06-01' } },
    };
    expect(doubleFunding.detect(timeline(inputs), inputs, '2026-11-20')).toEqual([]); // no overlap
    expect(aiPendingDuringPlacement.detect(timeline(inputs), inputs, '2026-11-20')).toEqual([]); // decided
    const pending = { ...inputs, disability: { ...inputs.disability!, status: 'ASSESSMENT', decision: null } };
    expect(aiPendingDuringPlacement.detect(timeline(pending), pending, '2026-11-20')).toEqual([expect.objectContaining({ categories: ['ai.file', 'ac.registration'] })]);
  });
});
