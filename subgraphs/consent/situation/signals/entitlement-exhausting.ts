// The unemployment entitlement runs out soon while the person is also followed by social
// assistance or the AI: the passage must be prepared before the allowance stops.
import type { SignalRule } from '../inputs.ts';
import { daysBetween } from '../dates.ts';

export const WITHIN_DAYS = 90;

export const entitlementExhausting: SignalRule = {
  id: 'entitlement-exhausting',
  detect(_periods, i, today) {
    const e = i.unemployment?.entitlement;
    if (!e) return [];
    const left = daysBetween(today, e.exhaustionDate);
    if (left < 0 || left > WITHIN_DAYS) return [];
    const others = [i.socialAssistance && 'a social-assistance dossier', i.disability && 'an AI file'].filter(Boolean);
    if (!others.length) return [];
    return [
      {
        rule: this.id,
        message: `The daily allowance runs out on ${e.exhaustionDate} (in ${left} days) while ${others.join(' and ')} is open: prepare the passage.`,
        from: today,
        to: e.exhaustionDate,
        categories: ['ac.entitlement', ...(i.socialAssistance ? ['as.dossier'] : []), ...(i.disability ? ['ai.file'] : [])],
      },
    ];
  },
};
