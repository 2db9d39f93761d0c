// decide(): the one decision switch, pure. For each ask, the rule of the active policy for the
// requester and what it says: released under a legal basis or by a consent in force, or
// denied with its reason (CONTRACT.md section 4), the rule's place in the policy file and the
// condition that failed.
import { describe, expect, it } from 'vitest';
import { decide, decideAction, type DecisionContext } from '../lib/access/decide.ts';
import type { Ask } from '../lib/access/decision.ts';
import type { PersonFacts } from '../lib/access/person-facts.ts';
import { loadPolicy, SAMPLE_POLICY_PATH } from '../lib/access/policy.ts';
import type { Requester } from '../lib/access/requester.ts';
import type { ConsentRecord } from '../lib/consents/store.ts';
import type { CaseRecord } from '../lib/cases/store.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { readFileSync } from 'node:fs';

const policy = loadPolicy(loadCatalogue());
const rules = (JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8')) as { rules: { roles: string[] }[] }).rules;
const ruleOf = (role: string) => rules.findIndex((r) => r.roles.includes(role));

const A = '756.1234.5678.97';
const B = '756.9876.5432.17';
const AT = '2026-11-30T10:00:00.000Z';
const openAt = (institution: CaseRecord['institution'], caseReference: string): CaseRecord => ({ avs: A, institution, caseReference, openedOn: '2026-01-05', closedOn: null });
/** The person is an open case of the ORP (AC-1) and of the CII (CII-1). */
const OPEN_CASES: CaseRecord[] = [openAt('AC', 'AC-1'), openAt('CII', 'CII-1')];
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

function decideOne(ask: Ask, over: Partial<DecisionContext> = {}, consents: ConsentRecord[] = [], cases: CaseRecord[] = OPEN_CASES) {
  const facts: PersonFacts = { consents, cases };
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
    const request = { purpose: 'cii', caseReference: 'CII-1' };
    expect(decideOne(ask, { requester: referent, request }, [consent({ recipients: ['CII'], categories: ['ac.entitlement'] })])).toMatchObject({ allowed: true });
    expect(decideOne(ask, { requester: referent, request }, [consent({ recipients: ['AS'], categories: ['ac.entitlement'] })])).toMatchObject({ allowed: false, reason: 'NO_CONSENT' });
  });

  it('denies NO_OPEN_CASE outside an open case of the requester\'s institution, under a legal basis and by consent alike', () => {
    const closed = [{ ...openAt('AC', 'AC-1'), closedOn: '2026-11-01' }];
    for (const cases of [[], closed, [openAt('AI', 'AC-1')], [openAt('AC', 'AC-2')]]) {
      expect(decideOne({ avs: A, category: 'ai.file' }, {}, [], cases), JSON.stringify(cases)).toMatchObject({ allowed: false, reason: 'NO_OPEN_CASE', legalBasis: 'LAI art. 68bis', condition: { type: 'openCase' } });
      expect(decideOne({ avs: A, category: 'ai.workCapacity' }, {}, [consent()], cases)).toMatchObject({ allowed: false, reason: 'NO_OPEN_CASE', condition: { type: 'openCase' } });
    }
    // Naming no case, any open case there does, and the decision names it (what a caseload journals).
    expect(decideOne({ avs: A, category: 'ai.file' }, { request: { purpose: 'cii' } }, [], [openAt('AC', 'AC-2')])).toMatchObject({ allowed: true, caseReference: 'AC-2' });
    // The own mandate needs no case.
    expect(decideOne({ avs: A, category: 'ac.entitlement' }, {}, [], [])).toMatchObject({ allowed: true, legalBasis: 'LACI art. 96b' });
  });

  it('decides an action: the role\'s permission, then the action\'s conditions', () => {
    const ctx = (cases: CaseRecord[], requester = counsellor): DecisionContext => ({ policy, requester, request: { purpose: 'cii' }, at: AT, factsOf: () => ({ consents: [], cases }) });
    expect(decideAction('consent.record', A, ctx(OPEN_CASES))).toEqual({ allowed: true, caseReference: 'AC-1' });
    expect(decideAction('consent.record', A, ctx([]))).toMatchObject({ allowed: false, reason: 'NO_OPEN_CASE' });
    expect(decideAction('consent.record', A, ctx(OPEN_CASES, { institution: 'AI', role: 'physician', subject: 'p' }))).toEqual({ allowed: false, reason: 'NO_RULE' });
    expect(decideAction('case.manage', A, ctx([]))).toEqual({ allowed: true });
    expect(decideAction('case.manage', A, ctx([], { institution: 'CII', role: 'dpo', subject: 'd' }))).toEqual({ allowed: false, reason: 'NO_RULE' });
  });

  it('decides a condition that reads the person for each person of a caseload', () => {
    const person: Requester = { institution: 'CII', role: 'data-subject', subject: A };
    const ds = decide(
      [B, A, B].map((avs) => ({ avs, category: 'consent.records' })),
      { policy, requester: person, request: {}, at: AT, factsOf: () => ({ consents: [], cases: [] }) },
    );
    expect(ds.map((d) => [d.avs, d.allowed])).toEqual([[B, false], [A, true], [B, false]]);
    expect(ds[0]).toMatchObject({ reason: 'CONDITION_UNMET', condition: { type: 'requesterIsThePerson' } });
  });

  it('refuses to decide a rule without the facts it reads, rather than deny what a consent or a case releases', () => {
    expect(() => decideOne({ avs: A, category: 'ai.workCapacity' }, { factsOf: () => undefined })).toThrow(/not read before deciding/);
    expect(() => decideOne({ avs: A, category: 'ai.decision' }, { factsOf: () => undefined })).toThrow(/not read before deciding/);
    // The own mandate reads no facts: none needed.
    expect(decideOne({ avs: A, category: 'ac.entitlement' }, { factsOf: () => undefined })).toMatchObject({ allowed: true });
  });

  it('depends on nothing but its input: the same asks decide the same, in order', () => {
    const asks = [{ avs: A, category: 'ai.file' }, { avs: B, category: 'ai.workCapacity' }, { avs: A, category: 'ai.workCapacity' }];
    const ctx: DecisionContext = { policy, requester: counsellor, request: { purpose: 'cii', caseReference: 'AC-1' }, at: AT, factsOf: (avs) => ({ consents: avs === A ? [consent()] : [], cases: OPEN_CASES }) };
    expect(decide(asks, ctx)).toEqual(decide(asks, ctx));
    expect(decide(asks, ctx).map((d) => d.allowed)).toEqual([true, false, true]);
  });
});
