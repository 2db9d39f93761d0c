import { describe, expect, it } from 'vitest';
import { readsUnderOwnConsent } from '../../lib/supervision/signals/reads-under-own-consent.ts';
import { avsN, context, day, read } from './support.ts';

const underConsent = (n: number) => read(avsN(n), { category: 'as.benefits', legalBasis: null, consentId: `consent-${n}` });

describe('signal readsUnderOwnConsent', () => {
  it('flags reads released by consents the same requester recorded', () => {
    const reads = [underConsent(1), underConsent(2), underConsent(3), read(avsN(4))];
    const found = readsUnderOwnConsent.check(day(reads), context({ recorderOf: () => ({ institution: 'AC', subject: 'c-1' }) }));
    expect(found?.message).toBe('3 persons read under consents this requester recorded');
    expect(found?.entries).toEqual(reads.slice(0, 3));
  });

  it('does not flag consents recorded by someone else, or at another institution, or unknown', () => {
    const reads = [underConsent(1), underConsent(2), underConsent(3)];
    expect(readsUnderOwnConsent.check(day(reads), context({ recorderOf: () => ({ institution: 'AC', subject: 'c-2' }) }))).toBeNull();
    expect(readsUnderOwnConsent.check(day(reads), context({ recorderOf: () => ({ institution: 'CII', subject: 'c-1' }) }))).toBeNull();
    expect(readsUnderOwnConsent.check(day(reads), context())).toBeNull();
  });

  it('counts persons against the threshold', () => {
    const twice = [underConsent(1), underConsent(1), underConsent(2)];
    expect(readsUnderOwnConsent.check(day(twice), context({ recorderOf: () => ({ institution: 'AC', subject: 'c-1' }) }))).toBeNull();
    expect(readsUnderOwnConsent.describe(context().thresholds)).toBe('3 or more persons read in a day under consents the same requester recorded');
  });
});
