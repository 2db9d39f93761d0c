import { describe, expect, it } from 'vitest';
import { readsOutsideAnyCase } from '../../lib/supervision/signals/reads-outside-any-case.ts';
import { avsN, context, day, read } from './support.ts';

const denied = (n: number) => read(avsN(n), { decision: 'DENIED', reason: 'NO_OPEN_CASE', legalBasis: null });

describe('signal readsOutsideAnyCase', () => {
  it('flags a day with as many reads denied for want of a case as the threshold, naming those entries', () => {
    const reads = [denied(1), denied(2), read(avsN(3)), denied(2)];
    const found = readsOutsideAnyCase.check(day(reads), context());
    expect(found?.entries).toEqual([reads[0], reads[1], reads[3]]);
    expect(found?.message).toBe('3 reads denied for want of an open case, about 2 persons');
  });

  it('does not flag fewer, nor denials for other reasons', () => {
    expect(readsOutsideAnyCase.check(day([denied(1), denied(2)]), context())).toBeNull();
    const other = [1, 2, 3, 4].map((n) => read(avsN(n), { decision: 'DENIED', reason: 'NO_CONSENT' }));
    expect(readsOutsideAnyCase.check(day(other), context())).toBeNull();
  });

  it('takes its threshold from the policy and says it in words', () => {
    const t = { ...context().thresholds, readsOutsideAnyCase: 1 };
    expect(readsOutsideAnyCase.check(day([denied(1)]), context({ thresholds: t }))).not.toBeNull();
    expect(readsOutsideAnyCase.describe(t)).toMatch(/^1 or more reads in a day denied because the person is no open case/);
  });
});
