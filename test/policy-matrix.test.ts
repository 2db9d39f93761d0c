// The policy, enforced: for every institution × role the policy knows, every category, and
// every consent situation (none, valid, expired, revoked, for another purpose, for another
// institution), with the persons' open cases (each an open case of every institution where it
// has a file; one of them also of the CII, under MATRIX-1 everywhere), real responses through
// the gateway are compared with what the policy file says, read here independently of the
// product's policy code, and the access log holds exactly one entry per decision, with its
// legal basis or consent and the case it was decided under.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryAuditLog } from '../lib/audit/memory.ts';
import type { Institution } from '../lib/schema/catalogue.ts';
import { lookupPerson } from '../mocks/registry-data.ts';
import { seedConsent } from './support/consents.ts';
import { actsFor, RAW_POLICY, readsCases, released, REQUESTERS, type ConsentState, type Facts, type OpenCases } from './support/policy-oracle.ts';
import { personsWithEveryFile } from './support/persons.ts';
import { FILES } from './support/queries.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const INSTITUTIONS: Institution[] = ['AC', 'AI', 'AS', 'PC', 'CII'];

// Where each category shows in the response, and the file it sits in. A category may span
// several fields of one object (pc.hypotheticalIncome): each denied field has its own error.
const FIELD: Record<string, { file: string; first: string; path: string[]; siblings?: string[] }> = {};
const file = (name: string, first: string, subs: Record<string, string>) => {
  FIELD[first] = { file: name, first, path: [name] };
  for (const [cat, field] of Object.entries(subs)) FIELD[cat] = { file: name, first, path: [name, field] };
};
file('unemployment', 'ac.registration', { 'ac.entitlement': 'entitlement', 'ac.measures': 'measures', 'ac.employability': 'employability' });
file('disability', 'ai.file', { 'ai.measures': 'measures', 'ai.decision': 'decision', 'ai.workCapacity': 'workCapacity', 'ai.medical': 'medical' });
file('socialAssistance', 'as.dossier', { 'as.benefits': 'benefits', 'as.situation': 'situation' });
file('supplementaryBenefits', 'pc.entitlement', { 'pc.hypotheticalIncome': 'hypotheticalIncome' });
FIELD['pc.hypotheticalIncome']!.siblings = ['orpRegistrationRequired'];
FIELD['consent.records'] = { file: 'consents', first: 'consent.records', path: ['consents'] };
const CATEGORIES = Object.keys(FIELD);

/** Whether the mock registry holds a value for this person and category. */
function mockHasData(avs: string, category: string): boolean {
  const p = lookupPerson(avs);
  const [prefix, section] = category.split('.') as [string, string];
  const record = { ac: p.unemployment, ai: p.disability, as: p.socialAssistance, pc: p.supplementaryBenefits }[prefix] as Record<string, any> | null;
  const value = record?.[section];
  if (category === 'pc.hypotheticalIncome') return value?.yearlyAmount != null;
  return value !== null && value !== undefined;
}

const STATES: ConsentState[] = ['none', 'valid', 'expired', 'revoked', 'otherPurpose', 'otherInstitution'];
const expected = released;
const raw = RAW_POLICY;

const requesters = REQUESTERS;
const recipientOf = (r: (typeof requesters)[number]): Institution => (r.recipient === 'own' ? r.institution : (r.recipient as Institution));

let stack: TestStack;
let persons: Record<string, string>; // state key → AVS
/** Each person's open cases: the repertory's seed (a case where the mocks give a file), and MATRIX-1. */
const openCases = new Map<string, OpenCases>();
const stateKey = (state: ConsentState, recipient: Institution) => (state === 'otherInstitution' ? `${state}:${recipient}` : state);

beforeAll(async () => {
  stack = await startTestStack();
  const avs = personsWithEveryFile(10);
  const keys = [...STATES.filter((s) => s !== 'otherInstitution'), ...INSTITUTIONS.map((i) => `otherInstitution:${i}`)];
  persons = Object.fromEntries(keys.map((k, i) => [k, avs[i]!]));
  // Every consent names every category: even a stored consent must never release ai.medical
  // outside the AI (the grant mutation refuses such a consent; here it is seeded regardless).
  const all = { categories: CATEGORIES, purpose: 'cii' };
  await seedConsent(stack.consents, { avs: persons.valid!, recipients: INSTITUTIONS, ...all });
  await seedConsent(stack.consents, { avs: persons.expired!, recipients: INSTITUTIONS, ...all, validUntil: '2020-12-31' });
  await seedConsent(stack.consents, { avs: persons.revoked!, recipients: INSTITUTIONS, ...all, revoked: true });
  await seedConsent(stack.consents, { avs: persons.otherPurpose!, recipients: INSTITUTIONS, categories: CATEGORIES, purpose: 'placement' });
  for (const i of INSTITUTIONS) {
    await seedConsent(stack.consents, { avs: persons[`otherInstitution:${i}`]!, recipients: INSTITUTIONS.filter((x) => x !== i), ...all });
  }
  for (const avs of Object.values(persons)) {
    const digits = avs.replace(/\D/g, '');
    openCases.set(avs, { AC: [`AC-GEN-${digits}`], AI: [`AI-GEN-${digits}`], AS: [`AS-GEN-${digits}`], PC: [`PC-GEN-${digits}`] });
  }
  // The person with a valid consent is also a case of every institution and the CII under MATRIX-1.
  for (const institution of INSTITUTIONS) {
    await stack.cases.openCase({ avs: persons.valid!, institution, caseReference: 'MATRIX-1', on: '2026-11-01' });
    const mine = openCases.get(persons.valid!)!;
    mine[institution] = [...(mine[institution] ?? []), 'MATRIX-1'];
  }
}, 60_000);
afterAll(async () => stack?.close());

const QUERY = `query($avs: [ID!]!) { persons(avs: $avs) { ...Files consents { id purpose } } } ${FILES}`;

for (const facts of [
  { purpose: 'cii', caseReference: 'MATRIX-1' },
  { purpose: 'cii' },
  {},
  { purpose: 'early-intervention', caseReference: 'AI-GE-2026-7' },
] as Facts[]) {
  describe(`policy matrix, request ${JSON.stringify(facts)}`, () => {
    it.each(requesters.map((r) => [`${r.institution} ${r.role}`, r] as const))('%s gets exactly what the policy releases', async (_name, r) => {
      const sub = `matrix-${r.institution}-${r.role}-${facts.purpose ?? 'none'}-${facts.caseReference ?? 'none'}`;
      const states = STATES.map((s) => ({ state: s, avs: persons[stateKey(s, recipientOf(r))]! }));
      const before = (stack.audit as MemoryAuditLog).all().length;
      const { status, body } = await gql(stack.gatewayUrl, QUERY, { avs: states.map((s) => s.avs) }, stack.as({ ...r, ...facts, sub }));
      expect(status).toBe(200);

      const errorsAt = new Map<string, { code: string; category?: string }>();
      for (const e of body.errors ?? []) errorsAt.set(e.path!.slice(2).join('.') + `@${e.path![1]}`, e.extensions as never);
      const journal = (stack.audit as MemoryAuditLog).all().slice(before).filter((e) => e.subject === sub);
      const expectedDecisions: string[] = [];

      states.forEach(({ state, avs }, i) => {
        const person = body.data.persons[i];
        for (const category of CATEGORIES) {
          const { first, path, siblings = [] } = FIELD[category]!;
          const siblingErrors = siblings.map((f) => errorsAt.get(`${[...path.slice(0, -1), f].join('.')}@${i}`));
          const cases = openCases.get(avs)!;
          const allowed = expected(r.institution, r.role, category, state, facts, cases);
          const firstAllowed = expected(r.institution, r.role, first, state, facts, cases);
          const where = `${r.institution} ${r.role} / ${state} / ${category}`;
          const error = errorsAt.get(`${path.join('.')}@${i}`);
          if (category !== first && !firstAllowed) {
            // Under a denied file nothing is decided.
            expect(person[path[0]!], where).toBeNull();
            expect(error, where).toBeUndefined();
            continue;
          }
          // The case a decision was made under: the one the request names, else the person's own open case there, where the rule reads cases.
          const own = readsCases(r.institution, r.role, category) ? (cases[actsFor(r.institution, r.role)]?.[0] ?? null) : null;
          expectedDecisions.push(`${avs} ${category} ${allowed ? 'ALLOWED' : 'DENIED'} ${facts.caseReference ?? own}`);
          if (allowed) {
            expect(error, where).toBeUndefined();
            expect(siblingErrors, where).toEqual(siblings.map(() => undefined));
            const value = path.reduce<any>((o, k) => o?.[k], person);
            // Staff see only the consents that name or were recorded by the institution they act for (all seeded by a CII referent); the DPO sees all.
            const concernsThem = state !== 'otherInstitution' || r.role === 'dpo' || actsFor(r.institution, r.role) === 'CII';
            if (category === 'consent.records') expect(value.length, where).toBe(state === 'none' || !concernsThem ? 0 : 1);
            else expect(value !== null, where).toBe(mockHasData(avs, category));
          } else {
            expect(error, where).toMatchObject({ code: 'FORBIDDEN', category });
            for (const e of siblingErrors) expect(e, where).toMatchObject({ code: 'FORBIDDEN', category });
            expect(path.reduce<any>((o, k) => o?.[k], person), where).toBeNull();
          }
        }
      });
      // One entry per decision, none missing, none extra, each with what released the data.
      expect(journal.map((e) => `${e.avs} ${e.category} ${e.decision} ${e.caseReference}`).sort()).toEqual(expectedDecisions.sort());
      for (const e of journal) {
        expect(e.purpose).toBe(facts.purpose ?? null);
        if (e.decision === 'ALLOWED') expect(!!e.legalBasis !== !!e.consentId, `${e.category}: basis xor consent`).toBe(true);
        else expect([e.legalBasis, e.consentId]).toEqual([null, null]);
      }
      // No other error: one per denied field, nothing else.
      const deniedFields = expectedDecisions
        .filter((d) => d.split(' ')[2] === 'DENIED')
        .reduce((n, d) => n + 1 + (FIELD[d.split(' ')[1]!]!.siblings?.length ?? 0), 0);
      expect(body.errors?.length ?? 0).toBe(deniedFields);
    });
  });
}

describe('the sample policy, spot-checked against DOMAIN.md', () => {
  const cell = (inst: Institution, role: string, category: string) =>
    raw.rules.find((r) => (r.institution === inst || r.institution === '*') && r.roles.includes(role))?.categories[category];
  it('says what the table says', () => {
    expect(cell('AI', 'case-manager', 'ac.entitlement')).toBe('consent');
    expect(cell('AI', 'case-manager', 'ac.registration')).toBe('lpga-32');
    expect(cell('AS', 'social-worker', 'ac.entitlement')).toBe('laci-85f');
    expect(cell('AC', 'counsellor', 'ai.medical')).toBe('never');
    expect(cell('PC', 'pc-officer', 'ai.workCapacity')).toBe('consent');
    expect(cell('AI', 'physician', 'ai.medical')).toBe('own-ai');
    expect(cell('CII', 'cii-referent', 'as.situation')).toBe('consent');
    expect(cell('AC', 'cii-referent', 'ai.medical')).toBe('never');
    expect(cell('AS', 'dpo', 'as.dossier')).toBeUndefined();
  });
});
