// A denial in words: the reason and what would release the field, built from the policy, the
// requester and the request only.
import { describe, expect, it } from 'vitest';
import { decide } from '../lib/access/decide.ts';
import type { Denied } from '../lib/access/decision.ts';
import { explainDenial } from '../lib/access/explain.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import type { RequestFacts } from '../lib/access/conditions/index.ts';
import type { Requester } from '../lib/access/requester.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';

const policy = loadPolicy(loadCatalogue());
const A = '756.1234.5678.97';

function explain(requester: Requester, category: string, request: RequestFacts): string {
  const [d] = decide([{ avs: A, category }], { policy, requester, request, at: '2026-11-30T10:00:00.000Z', factsOf: () => ({ consents: [], cases: [{ avs: A, institution: requester.institution, caseReference: 'X-1', openedOn: '2026-01-01', closedOn: null }] }) });
  if (d!.allowed) throw new Error('expected a denial');
  return explainDenial(d as Denied, policy, requester, request);
}

const aiCaseManager: Requester = { institution: 'AI', role: 'case-manager', subject: 'cm' };
const counsellor: Requester = { institution: 'AC', role: 'counsellor', subject: 'c' };

describe('explainDenial', () => {
  it('says which consent would release the field (NO_CONSENT)', () => {
    expect(explain(aiCaseManager, 'ac.entitlement', { purpose: 'cii' })).toBe(
      `"ac.entitlement" needs the person's consent naming AI for ac.entitlement and purpose cii; none in force matches (rules[1] of ciigraph sample policy ${policy.version}).`,
    );
    expect(explain(aiCaseManager, 'ac.entitlement', {})).toMatch(/needs the person's consent naming AI for ac.entitlement and the request's purpose; the request states no purpose/);
  });

  it('says which condition of which legal basis the request does not meet (CONDITION_UNMET)', () => {
    expect(explain(counsellor, 'ai.decision', { purpose: 'cii' })).toBe(
      `"ai.decision" is released to AC counsellor under LPGA art. 32 al. 1 et 2 only if the request names the individual case (case reference): the request names no case reference (rules[0] of ciigraph sample policy ${policy.version}).`,
    );
  });

  it('says that nothing releases what never leaves its institution (NEVER), and when no rule names it (NO_RULE)', () => {
    expect(explain(counsellor, 'ai.medical', { purpose: 'cii' })).toMatch(/^"ai.medical" is never released to AC counsellor, not even with the person's consent \(rules\[0\]/);
    expect(explain(counsellor, 'audit.accessLog', {})).toBe('No rule of the active policy releases "audit.accessLog" to AC counsellor.');
    expect(explain({ institution: 'AC', role: 'physician', subject: 'p' }, 'ai.file', {})).toMatch(/The role "physician" does not exist at AC/);
  });
});
