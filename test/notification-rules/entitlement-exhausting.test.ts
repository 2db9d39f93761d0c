import { describe, expect, it } from 'vitest';
import { entitlementExhausting, WITHIN_DAYS } from '../../lib/notifications/rules/entitlement-exhausting.ts';

describe('event rule entitlement-exhausting', () => {
  it(`notices an entitlement running out within ${WITHIN_DAYS} days, about its exhaustion date`, () => {
    expect(entitlementExhausting.detect(undefined, { file: true, exhaustionDate: '2027-01-29' }, '2026-12-30')).toEqual([
      { about: '2027-01-29', message: 'The daily allowance runs out on 2027-01-29 (in 30 days).' },
    ]);
    expect(entitlementExhausting.detect({ file: true, exhaustionDate: '2027-01-29' }, { file: true, exhaustionDate: '2027-01-29' }, '2027-01-29')).toHaveLength(1);
  });
  it('says nothing earlier, after the date, or without an entitlement', () => {
    expect(entitlementExhausting.detect(undefined, { file: true, exhaustionDate: '2027-01-29' }, '2026-12-29')).toEqual([]);
    expect(entitlementExhausting.detect(undefined, { file: true, exhaustionDate: '2027-01-29' }, '2027-01-30')).toEqual([]);
    expect(entitlementExhausting.detect(undefined, { file: true }, '2027-01-01')).toEqual([]);
    expect(entitlementExhausting.detect(undefined, { file: false }, '2027-01-01')).toEqual([]);
  });
  it('is data of ac.entitlement, from the unemployment insurance', () => {
    expect(entitlementExhausting.sources).toEqual({ AC: 'ac.entitlement' });
  });
});
