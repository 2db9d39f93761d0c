import { daysFrom, defineEventRule } from './rule.ts';

export const WITHIN_DAYS = 30;

/**
 * The unemployment entitlement runs out within N days: social assistance, the AI and the CII
 * must prepare the passage before the allowance stops, not after. The event is about the
 * exhaustion date, so it is handled once per date (events are idempotent by rule, source,
 * person and date).
 */
export const entitlementExhausting = defineEventRule({
  id: 'entitlement-exhausting',
  description: `The unemployment daily-allowance entitlement runs out within ${WITHIN_DAYS} days (once per exhaustion date).`,
  sources: { AC: 'ac.entitlement' },
  detect(_previous, current, today) {
    if (!current.exhaustionDate) return [];
    const left = daysFrom(today, current.exhaustionDate);
    if (left < 0 || left > WITHIN_DAYS) return [];
    return [{ about: current.exhaustionDate, message: `The daily allowance runs out on ${current.exhaustionDate} (in ${left} days).` }];
  },
});
