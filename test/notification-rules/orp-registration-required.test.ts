import { describe, expect, it } from 'vitest';
import { orpRegistrationRequired } from '../../lib/notifications/rules/orp-registration-required.ts';

describe('event rule orp-registration-required', () => {
  it('notices the PC requirement to register at the ORP when it appears', () => {
    expect(orpRegistrationRequired.detect(undefined, { file: true, orpRegistrationRequired: true }, '2026-11-20')).toEqual([
      { about: '2026-11-20', message: 'The PC office requires a registration at the ORP.' },
    ]);
    expect(orpRegistrationRequired.detect({ file: true, orpRegistrationRequired: false }, { file: true, orpRegistrationRequired: true }, '2026-11-20')).toHaveLength(1);
  });
  it('says nothing while it stays required, or when it is not', () => {
    expect(orpRegistrationRequired.detect({ file: true, orpRegistrationRequired: true }, { file: true, orpRegistrationRequired: true }, '2026-11-21')).toEqual([]);
    expect(orpRegistrationRequired.detect(undefined, { file: true, orpRegistrationRequired: false }, '2026-11-21')).toEqual([]);
    expect(orpRegistrationRequired.detect(undefined, { file: false }, '2026-11-21')).toEqual([]);
  });
  it('is data of pc.hypotheticalIncome, from the PC office', () => {
    expect(orpRegistrationRequired.sources).toEqual({ PC: 'pc.hypotheticalIncome' });
  });
});
