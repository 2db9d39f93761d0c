// Properties of the one enforcement mechanism: denials that never reveal existence, one
// decision per person × category per request, consents read in one batch, registries never
// asked for what will not be released, and fail-closed when the log or the consent store fails.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LogGroup } from '../lib/audit/record-format.ts';
import type { AuditLog } from '../lib/audit/log.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { seedConsent } from './support/consents.ts';
import { personsWithEveryFile } from './support/persons.ts';
import { CASELOAD } from './support/queries.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97'; // ORP, AI, AS
const ORP_ONLY = '756.9876.5432.17';
const UNKNOWN = '756.0000.0000.19';

/** A consent store that counts its reads and can be made to fail. */
class ObservedConsentStore extends MemoryConsentStore {
  reads: string[][] = [];
  failing = false;
  override async forPersons(avs: readonly string[]) {
    this.reads.push([...avs]);
    if (this.failing) throw new Error('consent store down');
    return super.forPersons(avs);
  }
}

/** An access log that can be made to fail. */
class FailableAuditLog extends MemoryAuditLog {
  failing = false;
  // append() goes through appendGroups() too: one place to fail.
  override async appendGroups(groups: readonly LogGroup[]) {
    if (this.failing) throw new Error('log down');
    return super.appendGroups(groups);
  }
}

let stack: TestStack;
const consents = new ObservedConsentStore();
const audit = new FailableAuditLog();
beforeAll(async () => {
  stack = await startTestStack({ consents, audit: audit as AuditLog });
  // The PC office handles the painter and two others; the ORP, the AI pensioner too.
  for (const [avs, caseReference] of [[PAINTER, 'PC-1'], [ORP_ONLY, 'PC-2'], [UNKNOWN, 'PC-3']] as const) await stack.cases.openCase({ avs, institution: 'PC', caseReference, on: '2026-11-01' });
  await stack.cases.openCase({ avs: '756.4444.5555.62', institution: 'AC', caseReference: 'ORP-TEST-1', on: '2026-11-01' });
});
afterAll(async () => stack?.close());
beforeEach(() => {
  stack.mocks!.resetCounters();
  consents.reads = [];
  consents.failing = false;
  audit.failing = false;
});

const pcOfficer = (caseReference: string | null = 'PC-1') => stack.as({ institution: 'PC', role: 'pc-officer', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });
const counsellor = () => stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' });

describe('a denial reads the same whether or not the data exists', () => {
  it('for a file: byte-identical responses for a person with and without a social-assistance dossier', async () => {
    // PC may read as.dossier only with a consent; none is on file.
    const q = `query($avs: ID!) { person(avs: $avs) { socialAssistance { openedOn center benefits { monthlyAmount } } } }`;
    // Each in their own PC case: the denial is for want of a consent, whether a dossier exists or not.
    const withFile = await gql(stack.gatewayUrl, q, { avs: PAINTER }, pcOfficer('PC-1'));
    const without = await gql(stack.gatewayUrl, q, { avs: ORP_ONLY }, pcOfficer('PC-2'));
    const nobody = await gql(stack.gatewayUrl, q, { avs: UNKNOWN }, pcOfficer('PC-3'));
    expect(withFile.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'as.dossier', reason: 'NO_CONSENT' });
    expect(withFile.text).toBe(without.text);
    expect(withFile.text).toBe(nobody.text);
    expect(stack.mocks!.calls['social-assistance']).toBe(0);
  });

  it('for a category under a released file: same error whether the section is empty or not', async () => {
    // Both persons are open cases of the ORP: the counsellor sees the AI file (LAI art. 68bis) but not the decision without a case reference.
    const q = `query($avs: [ID!]!) { persons(avs: $avs) { disability { decision { invalidityDegree } } } }`;
    const { body } = await gql(stack.gatewayUrl, q, { avs: [PAINTER, '756.4444.5555.62'] }, counsellor()); // no decision / a decision
    const errors = body.errors!.map((e) => ({ ...e, path: e.path!.slice(2) }));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toEqual(errors[1]);
    expect(body.data.persons).toEqual([{ disability: { decision: null } }, { disability: { decision: null } }]);
    expect(stack.mocks!.lookups.filter((l) => l.registry === 'disability').every((l) => !l.sections.includes('decision'))).toBe(true);
  });
});

describe('decisions', () => {
  it('are made once per person and category in a request, however often the fields are asked', async () => {
    const q = `query($avs: [ID!]!) {
      a: persons(avs: $avs) { unemployment { office counsellor employability { placeable } } }
      b: persons(avs: $avs) { unemployment { registeredSince employability { assessedOn } } }
    }`;
    const sub = 'once-per-request';
    const before = audit.all().length;
    const { body } = await gql(stack.gatewayUrl, q, { avs: [PAINTER, PAINTER, ORP_ONLY] }, stack.as({ institution: 'AC', role: 'counsellor', sub }));
    expect(body.errors).toBeUndefined();
    const entries = audit.all().slice(before).filter((e) => e.subject === sub);
    expect(entries.map((e) => `${e.avs} ${e.category}`).sort()).toEqual(
      [`${ORP_ONLY} ac.employability`, `${ORP_ONLY} ac.registration`, `${PAINTER} ac.employability`, `${PAINTER} ac.registration`].sort(),
    );
    expect(entries.every((e) => e.decision === 'ALLOWED' && e.legalBasis === 'LACI art. 96b')).toBe(true);
  });

  it('read the consents of a whole caseload in one batch per subgraph', async () => {
    const caseload = personsWithEveryFile(30, 300_000_000);
    for (const avs of caseload.slice(0, 10)) {
      await seedConsent(consents, { avs, recipients: ['PC'], categories: ['ai.workCapacity', 'as.dossier'], purpose: 'cii' });
    }
    consents.reads = [];
    const q = `query($avs: [ID!]!) { persons(avs: $avs) { disability { workCapacity { adaptedActivityPercent } } socialAssistance { center } } }`;
    // A caseload: no case named, each person's own PC case applies.
    const { body } = await gql(stack.gatewayUrl, q, { avs: caseload }, pcOfficer(null));
    // Two subgraphs need consents (disability for ai.workCapacity, social-assistance for as.dossier): one read each.
    expect(consents.reads).toHaveLength(2);
    for (const read of consents.reads) expect(new Set(read)).toEqual(new Set(caseload));
    // The consents released exactly the ten persons who gave one.
    const released = body.data.persons.map((p: { socialAssistance: unknown }) => p.socialAssistance !== null);
    expect(released).toEqual(caseload.map((_, i) => i < 10));
  });

  it('come before the registry call: a denied file is never looked up, a denied section never asked', async () => {
    const q = `query($avs: ID!) { person(avs: $avs) { socialAssistance { center } unemployment { office entitlement { remainingDays } } } }`;
    await gql(stack.gatewayUrl, q, { avs: PAINTER }, pcOfficer());
    expect(stack.mocks!.calls['social-assistance']).toBe(0); // as.dossier: consent, none
    // ac.registration under LPGA art. 32 is released, ac.entitlement (consent) is not asked for.
    expect(stack.mocks!.lookups.filter((l) => l.registry === 'unemployment')).toEqual([
      { registry: 'unemployment', avs: PAINTER, sections: ['registration'] },
    ]);
  });
});

describe('fail closed', () => {
  it('returns no data when the access log cannot be written (AUDIT_UNAVAILABLE), and serves again once it can', async () => {
    audit.failing = true;
    const q = `query($avs: ID!) { person(avs: $avs) { avs unemployment { office } } }`;
    const { body } = await gql(stack.gatewayUrl, q, { avs: PAINTER }, counsellor());
    expect(body.data.person).toEqual({ avs: PAINTER, unemployment: null });
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['AUDIT_UNAVAILABLE']);
    expect(stack.mocks!.calls.unemployment).toBe(0);
    audit.failing = false;
    const again = await gql(stack.gatewayUrl, q, { avs: PAINTER }, counsellor());
    expect(again.body.data.person.unemployment.office).toBeTruthy();
  });

  it('releases nothing that depends on consent when the consent store cannot be read', async () => {
    consents.failing = true;
    const q = `query($avs: ID!) { person(avs: $avs) { unemployment { office } socialAssistance { center } } }`;
    const { body } = await gql(stack.gatewayUrl, q, { avs: PAINTER }, pcOfficer());
    expect(body.data.person.socialAssistance).toBeNull();
    expect(body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([['person.socialAssistance', 'CONSENT_STORE_UNAVAILABLE']]);
    // A legal basis needs no consent: that field is still served.
    expect(body.data.person.unemployment.office).toBeTruthy();
  });

  it('denies every category to a role the policy gives nothing (dpo)', async () => {
    const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs: [PAINTER] }, stack.as({ institution: 'CII', role: 'dpo' }));
    expect(body.data.persons[0]).toEqual({
      avs: PAINTER,
      unemployment: null,
      disability: null,
      socialAssistance: null,
      supplementaryBenefits: null,
    });
    expect(Object.values(stack.mocks!.calls).every((n) => n === 0)).toBe(true);
  });
});
