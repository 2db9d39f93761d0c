import { describe, expect, it } from 'vitest';
import { openCase } from '../../lib/access/conditions/open-case.ts';
import type { CaseRecord } from '../../lib/cases/store.ts';
import { input } from './support.ts';

const A = '756.1234.5678.97';
const at = (institution: CaseRecord['institution'], caseReference: string, closedOn: string | null = null): CaseRecord => ({ avs: A, institution, caseReference, openedOn: '2026-01-05', closedOn });
const facts = (...cases: CaseRecord[]) => ({ consents: [], cases });

describe('condition openCase', () => {
  it('is met by the case the request names, open at the institution the requester acts for', () => {
    expect(openCase.check({}, input({ request: { caseReference: 'ORP-1' }, facts: facts(at('AC', 'ORP-1')) }))).toBeNull();
    expect(openCase.check({}, input({ request: { caseReference: 'ORP-1' }, facts: facts(at('AC', 'ORP-2')) }))).toBe('"ORP-1" is no open case of AC for this person');
    expect(openCase.check({}, input({ request: { caseReference: 'ORP-1' }, facts: facts(at('AC', 'ORP-1', '2026-11-01')) }))).toMatch(/no open case/);
    expect(openCase.check({}, input({ request: { caseReference: 'ORP-1' }, facts: facts(at('AI', 'ORP-1')) }))).toMatch(/no open case of AC/);
  });
  it('is met by any open case there when the request names none (a caseload), and acts for the CII for a referent', () => {
    expect(openCase.check({}, input({ facts: facts(at('AC', 'ORP-7')) }))).toBeNull();
    expect(openCase.check({}, input({ facts: facts() }))).toBe('the person is no open case of AC');
    expect(openCase.check({}, input({ institution: 'CII', facts: facts(at('AC', 'ORP-7')) }))).toBe('the person is no open case of CII');
  });
  it('reads the person\'s facts, denies with NO_OPEN_CASE, takes no parameters', () => {
    expect(openCase.readsPersonFacts).toBe(true);
    expect(openCase.reason).toBe('NO_OPEN_CASE');
    expect(openCase.params.safeParse({ x: 1 }).success).toBe(false);
    expect(openCase.describe({})).toMatch(/open case of the requester's institution/);
  });
});
