// A request decides once per category what does not depend on the person (a legal basis whose
// conditions read only the request), and per person what does (nDSG art. 25: the requester
// must be the person concerned). Sharing must never carry one person's outcome to another.
import { describe, expect, it } from 'vitest';
import { Decider } from '../lib/access/decide.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import { CONDITIONS } from '../lib/access/conditions/index.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';

const policy = loadPolicy(loadCatalogue());
const A = '756.1234.5678.97';
const B = '756.9876.5432.17';
const C = '756.1111.2222.39';
const today = '2026-11-30';

describe('Decider', () => {
  it('decides a person-independent legal basis once for a whole caseload (the same decision object)', () => {
    const d = new Decider(policy, { institution: 'AC', role: 'counsellor', subject: 'c-1' }, { purpose: 'cii', caseReference: 'AC-1' }, today);
    const first = d.decide(A, 'ai.decision', []);
    expect(first).toEqual({ allowed: true, legalBasis: 'LPGA art. 32 al. 1 et 2' });
    expect(d.decide(B, 'ai.decision', [])).toBe(first);
    expect(d.decide(C, 'ai.decision', [])).toBe(first);
  });

  it('shares a denial of a person-independent legal basis too, with its reason', () => {
    const d = new Decider(policy, { institution: 'AC', role: 'counsellor', subject: 'c-1' }, { purpose: 'cii' }, today);
    const first = d.decide(A, 'ai.decision', []);
    expect(first).toEqual({ allowed: false, reason: 'LPGA art. 32 al. 1 et 2: the request names no case reference' });
    expect(d.decide(B, 'ai.decision', [])).toBe(first);
  });

  it('decides a condition that reads the person for each person: the person concerned only, whatever the order', () => {
    for (const order of [[A, B, C], [B, A, C], [C, B, A]]) {
      const d = new Decider(policy, { institution: 'CII', role: 'data-subject', subject: A }, {}, today);
      const outcomes = Object.fromEntries(order.map((avs) => [avs, d.decide(avs, 'consent.records', []).allowed]));
      expect(outcomes).toEqual({ [A]: true, [B]: false, [C]: false });
    }
  });

  it('knows, for every condition type, whether it reads the person', () => {
    for (const [type, def] of CONDITIONS) expect(typeof def.readsPerson, type).toBe('boolean');
    expect(CONDITIONS.get('requesterIsThePerson')!.readsPerson).toBe(true);
  });
});
