// A gap ("battement") between the end of one income support and the start of the next: the
// daily allowance ends and neither social assistance, PC nor an AI pension covers the days
// after. Also flags a support ending within 90 days with nothing known to follow.
import { addDays, daysBetween } from '../dates.ts';
import type { SignalRule, SupportPeriod } from '../inputs.ts';

const INCOME = new Set<SupportPeriod['kind']>(['DAILY_ALLOWANCE', 'SOCIAL_ASSISTANCE', 'SUPPLEMENTARY_BENEFITS', 'AI_PENSION']);
const HORIZON_DAYS = 90;

export const supportGap: SignalRule = {
  id: 'support-gap',
  detect(periods, _inputs, today) {
    const income = periods.filter((p) => INCOME.has(p.kind));
    const covered = (day: string) => income.some((p) => p.from <= day && (p.to === null || p.to >= day));
    const signals = [];
    for (const p of income) {
      if (p.to === null) continue;
      const dayAfter = addDays(p.to, 1);
      if (covered(dayAfter)) continue;
      const next = income.filter((q) => q.from > p.to!).sort((a, b) => a.from.localeCompare(b.from))[0];
      if (next) {
        const gapEnd = addDays(next.from, -1);
        signals.push({
          rule: this.id,
          message: `No income support from ${dayAfter} to ${gapEnd} (${daysBetween(dayAfter, next.from)} days) between "${p.label}" and "${next.label}".`,
          from: dayAfter,
          to: gapEnd,
          categories: [...new Set([p.category, next.category])],
        });
      } else if (p.to >= today && daysBetween(today, p.to) <= HORIZON_DAYS) {
        signals.push({
          rule: this.id,
          message: `"${p.label}" ends on ${p.to} and no support is known to follow.`,
          from: dayAfter,
          to: null,
          categories: [p.category],
        });
      }
    }
    return signals;
  },
};
