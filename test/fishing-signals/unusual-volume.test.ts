import { describe, expect, it } from 'vitest';
import { unusualVolume } from '../../lib/supervision/signals/unusual-volume.ts';
import { avsN, context, day, read } from './support.ts';

const reading = (persons: number) => Array.from({ length: persons }, (_, i) => read(avsN(i)));

describe('signal unusualVolume', () => {
  it('flags a day of many more persons than the institution usually reads', () => {
    const found = unusualVolume.check(day(reading(40)), context({ usualPersonsPerDay: (i) => (i === 'AC' ? 8 : 0) }));
    expect(found?.message).toBe('40 persons read, against a usual 8 at AC');
    expect(found?.entries).toHaveLength(40);
  });

  it('does not flag a caseload as large as the usual, nor a small day', () => {
    expect(unusualVolume.check(day(reading(200)), context({ usualPersonsPerDay: () => 180 }))).toBeNull();
    expect(unusualVolume.check(day(reading(29)), context({ usualPersonsPerDay: () => 1 }))).toBeNull();
  });

  it('counts persons, not reads: one person read a hundred times is one', () => {
    const same = Array.from({ length: 100 }, () => read(avsN(1)));
    expect(unusualVolume.check(day(same), context())).toBeNull();
  });

  it('flags from the minimum where no usual day is known yet', () => {
    expect(unusualVolume.check(day(reading(30)), context())?.message).toBe('30 persons read, with no usual day known at AC');
    expect(unusualVolume.describe(context().thresholds)).toMatch(/30 or more persons read in a day, and more than 3 times the usual day/);
  });
});
