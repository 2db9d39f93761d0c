// Gateway in front of the five subgraphs in front of the mock registries, all over real HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedConsent } from './support/consents.ts';
import { CASELOAD, PERSON } from './support/queries.ts';
import { gql as rawGql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const ORP_ONLY = '756.9876.5432.17';
const AS_ONLY = '756.1111.2222.39';
const AI_PC = '756.4444.5555.62';
const UNKNOWN = '756.0000.0000.19';

let stack: TestStack;
let headers: Record<string, string>;
// As in the painter's story: his AI case manager, in his AI case, with the consent he signed
// for what no legal basis gives the AI (his entitlement, his social-assistance benefits and situation).
const gql = (query: string, variables: Record<string, unknown> = {}, caseReference = 'AI-GE-2026-0815') =>
  rawGql(stack.gatewayUrl, query, variables, { ...headers, 'x-case-reference': caseReference });
/** Each person's AI case: the scenario's (CONTRACT.md section 6), or one the AI opens for this test. */
const AI_CASES: Record<string, string> = { [PAINTER]: 'AI-GE-2026-0815', [AI_PC]: 'AI-GE-2023-0306', [ORP_ONLY]: 'AI-TEST-1', [AS_ONLY]: 'AI-TEST-2', [UNKNOWN]: 'AI-TEST-3', '756.3047.5009.62': 'AI-TEST-4' };
beforeAll(async () => {
  stack = await startTestStack();
  headers = stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
  for (const [avs, caseReference] of Object.entries(AI_CASES)) await stack.cases.openCase({ avs, institution: 'AI', caseReference, on: '2026-11-01' });
  for (const avs of [PAINTER, ORP_ONLY, AS_ONLY, AI_PC, UNKNOWN]) {
    await seedConsent(stack.consents, {
      avs,
      recipients: ['AI'],
      categories: ['ac.entitlement', 'as.benefits', 'as.situation'],
      purpose: 'cii',
    });
  }
});
afterAll(async () => stack?.close());
beforeEach(() => stack.mocks!.resetCounters());

describe('the federated person graph', () => {
  it("reads the painter's four files across institutions, with consistent dates", async () => {
    const { status, body } = await gql(PERSON, { avs: PAINTER });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const p = body.data.person;
    expect(p.avs).toBe(PAINTER);
    expect(p.unemployment).toMatchObject({
      registeredSince: '2026-02-02',
      entitlement: { entitledDays: 260, remainingDays: 50, exhaustionDate: '2027-01-29' },
      employability: { placeable: true },
    });
    expect(p.unemployment.measures).toEqual([expect.objectContaining({ kind: 'COURSE', provider: 'IFAGE' })]);
    expect(p.disability).toMatchObject({ filedOn: '2026-06-15', status: 'EARLY_INTERVENTION', decision: null });
    expect(p.disability.measures.map((m: { kind: string }) => m.kind)).toEqual(['EARLY_INTERVENTION', 'RETRAINING']);
    expect(p.disability.workCapacity).toMatchObject({ usualActivityPercent: 0, adaptedActivityPercent: 100 });
    expect(p.disability.medical.diagnoses.join(' ')).toMatch(/knee/i);
    expect(p.socialAssistance).toMatchObject({ benefits: { complementsUnemployment: true } });
    expect(p.supplementaryBenefits).toBeNull();
    // The story holds together across registries.
    expect(p.disability.filedOn > p.unemployment.registeredSince).toBe(true);
    expect(p.unemployment.entitlement.exhaustionDate > p.disability.filedOn).toBe(true);
    expect(p.socialAssistance.openedOn >= p.unemployment.registeredSince).toBe(true);
  });

  it('reads each scenario person with files exactly where the contract says', async () => {
    // Each in their own AI case: LPGA art. 32 releases to the AI only in an individual case, named.
    const persons = [];
    for (const avs of [ORP_ONLY, AS_ONLY, AI_PC, UNKNOWN]) {
      const { body } = await gql(PERSON, { avs }, AI_CASES[avs]);
      expect(body.errors, avs).toBeUndefined();
      persons.push(body.data.person);
    }
    const has = (p: Record<string, unknown>) =>
      ['unemployment', 'disability', 'socialAssistance', 'supplementaryBenefits'].filter((k) => p[k] !== null);
    expect(persons.map(has)).toEqual([
      ['unemployment'],
      ['socialAssistance'],
      ['disability', 'supplementaryBenefits'],
      [],
    ]);
    const aiPc = persons[2];
    expect(aiPc.disability.decision).toMatchObject({ invalidityDegree: 45, pension: 37.5 });
    expect(aiPc.supplementaryBenefits.orpRegistrationRequired).toBe(true);
    expect(aiPc.supplementaryBenefits.hypotheticalIncome).toBeGreaterThan(0);
  });

  it('gives every other valid AVS a stable generated person', async () => {
    const avs = '756.3047.5009.62';
    await seedConsent(stack.consents, { avs, recipients: ['AI'], categories: ['ac.entitlement', 'as.benefits', 'as.situation'], purpose: 'cii' });
    const a = await gql(PERSON, { avs }, AI_CASES[avs]);
    const b = await gql(PERSON, { avs: avs.replaceAll('.', '') }, AI_CASES[avs]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.data).toEqual(a.body.data);
  });

  it('answers a caseload in the order asked, duplicates included, in canonical form', async () => {
    const asked = [AI_PC, '7561234567897', UNKNOWN, PAINTER, AI_PC];
    const { body } = await gql(`query($avs:[ID!]!){ persons(avs:$avs){ avs } }`, { avs: asked });
    expect(body.data.persons.map((p: { avs: string }) => p.avs)).toEqual([AI_PC, PAINTER, UNKNOWN, PAINTER, AI_PC]);
  });

  it('refuses a bad AVS with BAD_USER_INPUT and calls no registry', async () => {
    for (const [query, variables] of [
      [PERSON, { avs: '756.1234.5678.98' }],
      [CASELOAD, { avs: [PAINTER, '756.1234.5678.9'] }],
    ] as const) {
      const { body } = await gql(query, variables);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(body.data ?? null)).not.toContain('2026');
    }
    expect(stack.mocks!.calls).toEqual({ unemployment: 0, disability: 0, 'social-assistance': 0, 'supplementary-benefits': 0 });
  });

  it('refuses a caseload over the limit', async () => {
    const avs = Array.from({ length: 201 }, () => PAINTER);
    const { body } = await gql(CASELOAD, { avs });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/at most 200/);
  });

  it('asks a registry only for the sections the query selects', async () => {
    await gql(`query($avs:ID!){ person(avs:$avs){ unemployment { office entitlement { remainingDays } } } }`, {
      avs: PAINTER,
    });
    expect(stack.mocks!.lookups).toEqual([{ registry: 'unemployment', avs: PAINTER, sections: ['entitlement', 'registration'] }]);
    expect(stack.mocks!.calls.disability).toBe(0);
  });
});

describe('health and readiness', () => {
  it('/healthz answers, /readyz is 200 when every subgraph answers', async () => {
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).subgraphs).toEqual({
      unemployment: 'up',
      disability: 'up',
      'social-assistance': 'up',
      'supplementary-benefits': 'up',
      consent: 'up',
    });
  });

  it('/readyz stays 200 "degraded" naming the subgraph that is down while the others serve, and is 503 once none is left', async () => {
    const partial = await startTestStack();
    try {
      const pc = partial.services.find((s) => s.name === 'supplementary-benefits')!;
      await pc.close();
      const res = await fetch(`${partial.gatewayUrl}/readyz`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.status).toBe('degraded');
      expect(body.subgraphs['supplementary-benefits']).toBe('down');
      expect(body.degraded.join('\n')).toContain('supplementary-benefits');
      for (const s of partial.services.filter((s) => s.name !== 'gateway' && s.name !== 'supplementary-benefits')) await s.close();
      const none = await fetch(`${partial.gatewayUrl}/readyz`);
      expect(none.status).toBe(503);
      expect((await none.json()).status).toBe('not ready');
    } finally {
      await partial.close();
    }
  });

});
