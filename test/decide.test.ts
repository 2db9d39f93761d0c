// decide(): the one decision switch, pure. For each ask, the rule of the active policy for the
// requester and what it says: released under a legal basis or by a consent in force, or
// denied with its reason (CONTRACT.md section 4), the rule's place in the policy file and the
// condition that failed.
import { describe, expect, it } from 'vitest';
import { decide, type DecisionContext } from '../lib/access/decide.ts';
import type { Ask } from '../lib/access/decision.ts';
import type { PersonFacts } from '../lib/access/person-facts.ts';
import { loadPolicy, SAMPLE_POLICY_PATH } from '../lib/access/policy.ts';
import type { Requester } from '../lib/access/requester.ts';
import type { ConsentRecord } from '../lib/consents/store.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { readFileSync } from 'node:fs';

const policy = loadPolicy(loadCatalogue());
const rules = (JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8')) as { rules: { roles: string[] }[] }).rules;
const ruleOf = (role: string) => rules.findIndex((r) => r.roles.includes(role));

const A = '756.1234.5678.97';
const B = '756.9876.5432.17';
const AT = '2026-11-30T10:00:00.000Z';
const counsellor: Requester = { institution: 'AC', role: 'counsellor', subject: 'c-1' };

function consent(over: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    id: 'k-1',
    avs: A,
    recipients: ['AC'],
    categories: ['ai.workCapacity'],
    purpose: 'cii',
    validUntil: '2027-06-30',
    grantedAt: '2026-11-01T08:00:00.000Z',
    revokedAt: null,
    evidence: 'a'.repeat(64),
    recordedBy: { institution: 'AC', role: 'counsellor', subject: 'c-1' },
    revokedBy: null,
    ...over,
  };
}

function decideOne(ask: Ask, over: Partial<DecisionContext> = {}, consents: ConsentRecord[] = []) {
  const facts: PersonFacts = { consents };
  const [d] = decide([ask], { policy, requester: counsellor, request: { purpose: 'cii', caseReference: 'AC-1' }, at: AT, factsOf: () => facts, ...over });
  return d!;
}

describe('decide', () => {
  it('releases under a legal basis whose conditions the request meets, naming its citation and rule', () => {
    expect(decideOne({ avs: A, category: 'ai.decision' })).toEqual({
      avs: A,
      category: 'ai.decision',
      allowed: true,
      rule: ruleOf('counsellor'),
      legalBasis: 'LPGA art. 32 al. 1 et 2',
    });
  });

  it('denies NO_RULE where no rule names the category, and for a role that does not exist at the institution', () => {
    expect(decideOne({ avs: A, category: 'audit.accessLog' })).toEqual({ avs: A, category: 'audit.accessLog', allowed: false, reason: 'NO_RULE' });
    expect(decideOne({ avs: A, category: 'ai.file' }, { requester: { institution: 'AC', role: 'physician', subject: 'p' } })).toMatchObject({ allowed: false, reason: 'NO_RULE' });
  });

  it('denies NEVER what never leaves its institution, with the rule that says so', () => {
    expect(decideOne({ avs: A, category: 'ai.medical' }, {}, [consent({ categories: ['ai.medical'] })])).toEqual({
      avs: A,
      category: 'ai.medical',
      allowed: false,
      reason: 'NEVER',
      rule: ruleOf('counsellor'),
    });
  });

  it('denies CONDITION_UNMET naming the legal basis and the first condition the request does not meet', () => {
    const noCase = decideOne({ avs: A, category: 'ai.decision' }, { request: { purpose: 'cii' } });
    expect(noCase).toMatchObject({ allowed: false, reason: 'CONDITION_UNMET', legalBasis: 'LPGA art. 32 al. 1 et 2', rule: ruleOf('counsellor') });
    expect(noCase.allowed === false && noCase.condition).toEqual({
      type: 'caseReferenceRequired',
      demands: 'the request names the individual case (case reference)',
      unmet: 'the request names no case reference',
    });
    const noPurpose = decideOne({ avs: A, category: 'ai.decision' }, { request: {} });
    expect(noPurpose.allowed === false && noPurpose.condition?.type).toBe('purposeRequired');
    const otherPurpose = decideOne({ avs: A, category: 'ai.file' }, { request: { purpose: 'benefit-assessment' } });
    expect(otherPurpose).toMatchObject({ reason: 'CONDITION_UNMET', legalBasis: 'LAI art. 68bis', condition: { type: 'purposeIn' } });
  });

  it('releases by a consent in force naming the recipient, the category and the purpose', () => {
    expect(decideOne({ avs: A, category: 'ai.workCapacity' }, {}, [consent()])).toEqual({
      avs: A,
      category: 'ai.workCapacity',
      allowed: true,
      rule: ruleOf('counsellor'),
      consentId: 'k-1',
    });
  });

  it('denies NO_CONSENT when no consent in force matches: revoked, expired, another purpose, recipient or category, or no purpose stated', () => {
    for (const c of [
      consent({ revokedAt: '2026-11-20T00:00:00.000Z' }),
      consent({ validUntil: '2026-11-29' }),
      consent({ purpose: 'placement' }),
      consent({ recipients: ['AI'] }),
      consent({ categories: ['as.benefits'] }),
    ]) {
      expect(decideOne({ avs: A, category: 'ai.workCapacity' }, {}, [c]), JSON.stringify(c)).toEqual({
        avs: A,
        category: 'ai.workCapacity',
        allowed: false,
        reason: 'NO_CONSENT',
        rule: ruleOf('counsellor'),
      });
    }
    expect(decideOne({ avs: A, category: 'ai.workCapacity' }, { request: {} }, [consent()])).toMatchObject({ allowed: false, reason: 'NO_CONSENT' });
    // A consent is valid through its last day.
    expect(decideOne({ avs: A, category: 'ai.workCapacity' }, {}, [consent({ validUntil: '2026-11-30' })])).toMatchObject({ allowed: true });
  });

  it('matches a CII referent as CII, whichever institution employs them', () => {
    const referent: Requester = { institution: 'AS', role: 'cii-referent', subject: 'r' };
    const ask = { avs: A, category: 'ac.entitlement' };
    expect(decideOne(ask, { requester: referent }, [consent({ recipients: ['CII'], categories: ['ac.entitlement'] })])).toMatchObject({ allowed: true });
    expect(decideOne(ask, { requester: referent }, [consent({ recipients: ['AS'], categories: ['ac.entitlement'] })])).toMatchObject({ allowed: false, reason: 'NO_CONSENT' });
  });

  it('decides a condition that reads the person for each person of a caseload', () => {
    const person: Requester = { institution: 'CII', role: 'data-subject', subject: A };
    const ds = decide(
      [B, A, B].map((avs) => ({ avs, category: 'consent.records' })),
      { policy, requester: person, request: {}, at: AT, factsOf: () => ({ consents: [] }) },
    );
    expect(ds.map((d) => [d.avs, d.allowed])).toEqual([[B, false], [A, true], [B, false]]);
    expect(ds[0]).toMatchObject({ reason: 'CONDITION_UNMET', condition: { type: 'requesterIsThePerson' } });
  });

  it('refuses to decide a consent rule without the facts it reads, rather than deny what a consent releases', () => {
    expect(() => decideOne({ avs: A, category: 'ai.workCapacity' }, { factsOf: () => undefined })).toThrow(/not read before deciding/);
    // A legal basis reads no facts: none needed.
    expect(decideOne({ avs: A, category: 'ai.decision' }, { factsOf: () => undefined })).toMatchObject({ allowed: true });
  });

  it('depends on nothing but its input: the same asks decide the same, in order', () => {
    const asks = [{ avs: A, category: 'ai.file' }, { avs: B, category: 'ai.workCapacity' }, { avs: A, category: 'ai.workCapacity' }];
    const ctx: DecisionContext = { policy, requester: counsellor, request: { purpose: 'cii', caseReference: 'AC-1' }, at: AT, factsOf: (avs) => ({ consents: avs === A ? [consent()] : [] }) };
    expect(decide(asks, ctx)).toEqual(decide(asks, ctx));
    expect(decide(asks, ctx).map((d) => d.allowed)).toEqual([true, false, true]);
  });
});
