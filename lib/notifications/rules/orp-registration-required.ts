import { defineEventRule } from './rule.ts';

/**
 * The PC office imputes a hypothetical income and requires the person to register at the ORP:
 * the ORP (when it already handles them) and the AI learn it from the PC, not from the person.
 */
export const orpRegistrationRequired = defineEventRule({
  id: 'orp-registration-required',
  description: 'The supplementary-benefits office requires the person to register at the ORP (a hypothetical income is imputed).',
  sources: { PC: 'pc.hypotheticalIncome' },
  detect(previous, current, today) {
    if (!current.orpRegistrationRequired || previous?.orpRegistrationRequired === true) return [];
    return [{ about: today, message: 'The PC office requires a registration at the ORP.' }];
  },
});
