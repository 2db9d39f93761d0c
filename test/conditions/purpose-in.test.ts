import { describe, expect, it } from 'vitest';
import { purposeIn } from '../../lib/access/conditions/purpose-in.ts';
import { input } from './support.ts';

describe('condition purposeIn', () => {
  const p = { purposes: ['cii', 'placement'] };
  it('is met by one of the listed purposes only', () => {
    expect(purposeIn.check(p, input({ request: { purpose: 'placement' } }))).toBeNull();
    expect(purposeIn.check(p, input({ request: { purpose: 'benefit-assessment' } }))).toBe('the purpose "benefit-assessment" is not one of cii, placement');
    expect(purposeIn.check(p, input())).toBe('the purpose "" is not one of cii, placement');
  });
  it('needs at least one purpose and describes them', () => {
    expect(purposeIn.params.safeParse({ purposes: [] }).success).toBe(false);
    expect(purposeIn.params.safeParse({}).success).toBe(false);
    expect(purposeIn.describe(p)).toBe('the purpose is one of: cii, placement');
    expect(purposeIn.readsPersonFacts).toBe(false);
  });
});
