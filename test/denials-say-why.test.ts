// Every denial says why (CONTRACT.md section 4): extensions.reason, and a message in words that
// says what would release the field; the journal keeps the reason, the rule and the policy,
// and the DPO reads them. Reasons come from the policy, the requester and the person's
// consents only: the same whether or not the person has a file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const NOBODY = '756.0000.0000.19';
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

const caseManager = { institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815', sub: 'cm-why' };
const counsellor = { institution: 'AC', role: 'counsellor', purpose: 'cii', sub: 'c-why' };

async function denial(query: string, who: Parameters<TestStack['as']>[0], avs = PAINTER) {
  const { body } = await gql(stack.gatewayUrl, query, { avs }, stack.as(who));
  expect(body.errors).toHaveLength(1);
  return body.errors![0]!;
}

describe('a denial', () => {
  it('NO_CONSENT: names the consent that would release the field', async () => {
    const e = await denial(`query($avs: ID!) { person(avs: $avs) { unemployment { entitlement { remainingDays } } } }`, caseManager);
    expect(e.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement', reason: 'NO_CONSENT' });
    expect(e.message).toMatch(/^"ac.entitlement" needs the person's consent naming AI for ac.entitlement and purpose cii; none in force matches/);
  });

  it('CONDITION_UNMET: names the legal basis and the condition the request does not meet', async () => {
    const e = await denial(`query($avs: ID!) { person(avs: $avs) { disability { decision { invalidityDegree } } } }`, counsellor);
    expect(e.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ai.decision', reason: 'CONDITION_UNMET', condition: 'caseReferenceRequired' });
    expect(e.message).toMatch(/under LPGA art. 32 al. 1 et 2 only if the request names the individual case \(case reference\): the request names no case reference/);
  });

  it('NEVER and NO_RULE', async () => {
    const never = await denial(`query($avs: ID!) { person(avs: $avs) { disability { medical { diagnoses } } } }`, counsellor);
    expect(never.extensions).toMatchObject({ category: 'ai.medical', reason: 'NEVER' });
    expect(never.message).toMatch(/never released to AC counsellor, not even with the person's consent/);
    const noRule = await denial(`query($avs: ID!) { person(avs: $avs) { consents { id } } }`, { institution: 'AI', role: 'physician', purpose: 'cii' });
    expect(noRule.extensions).toMatchObject({ category: 'consent.records', reason: 'NO_RULE' });
  });

  it('reads the same, reason and words, whether or not the person has a file', async () => {
    const q = `query($avs: ID!) { person(avs: $avs) { socialAssistance { benefits { monthlyAmount } } } }`;
    const pc = { institution: 'PC', role: 'pc-officer', purpose: 'cii', caseReference: 'PC-1' };
    const a = await denial(q, pc, PAINTER);
    const b = await denial(q, pc, NOBODY);
    expect(b).toEqual(a);
  });

  it('is journaled with its reason, rule and policy, which the DPO reads', async () => {
    await denial(`query($avs: ID!) { person(avs: $avs) { unemployment { entitlement { remainingDays } } } }`, { ...caseManager, sub: 'cm-journal' });
    const { body } = await gql(
      stack.gatewayUrl,
      `query($avs: ID!) { accessLog(avs: $avs, first: 1000) { action subject category decision reason rule condition policy legalBasis } }`,
      { avs: PAINTER },
      stack.as({ institution: 'CII', role: 'dpo' }),
    );
    const mine = body.data.accessLog.filter((e: { subject: string }) => e.subject === 'cm-journal');
    expect(mine).toContainEqual({
      action: 'READ',
      subject: 'cm-journal',
      category: 'ac.entitlement',
      decision: 'DENIED',
      reason: 'NO_CONSENT',
      rule: expect.stringMatching(/^rules\[\d+\]$/),
      condition: null,
      policy: `ciigraph sample policy ${stack.policy.version}`,
      legalBasis: null,
    });
    expect(mine).toContainEqual(expect.objectContaining({ category: 'ac.registration', decision: 'ALLOWED', reason: null, legalBasis: 'LPGA art. 32 al. 1 et 2' }));
  });
});
