import { describe, expect, it } from 'vitest';
import { purposeRequired } from '../../lib/access/conditions/purpose-required.ts';
import { input } from './support.ts';

describe('condition purposeRequired', () => {
  it('is met when the request states a purpose, and says so when it does not', () => {
    expect(purposeRequired.check({}, input({ request: { purpose: 'cii' } }))).toBeNull();
    expect(purposeRequired.check({}, input())).toBe('the request states no purpose');
  });
  it('takes no parameters and describes itself for the DPO', () => {
    expect(purposeRequired.params.safeParse({}).success).toBe(true);
    expect(purposeRequired.params.safeParse({ purposes: ['cii'] }).success).toBe(false);
    expect(purposeRequired.describe({})).toBe('the request states its purpose');
    expect(purposeRequired.readsPersonFacts).toBe(false);
  });
});
