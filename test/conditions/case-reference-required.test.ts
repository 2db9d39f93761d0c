import { describe, expect, it } from 'vitest';
import { caseReferenceRequired } from '../../lib/access/conditions/case-reference-required.ts';
import { input } from './support.ts';

describe('condition caseReferenceRequired', () => {
  it('is met when the request names a case reference', () => {
    expect(caseReferenceRequired.check({}, input({ request: { caseReference: 'ORP-GE-2026-0412' } }))).toBeNull();
    expect(caseReferenceRequired.check({}, input({ request: { purpose: 'cii' } }))).toBe('the request names no case reference');
  });
  it('takes no parameters and describes itself for the DPO', () => {
    expect(caseReferenceRequired.params.safeParse({ x: 1 }).success).toBe(false);
    expect(caseReferenceRequired.describe({})).toBe('the request names the individual case (case reference)');
    expect(caseReferenceRequired.readsPersonFacts).toBe(false);
  });
});
