// The painter's story over time (DOMAIN.md), for the mocks' clock: on MOCK_TODAY he is the
// contract's scenario person, mid-story; before it, what had not happened yet is not on file;
// after it, the AI decides (a degree too low for retraining rights, so the AI file closes), his
// entitlement runs out on 2027-01-29 and social assistance carries him alone. Every other
// person is the same on every day.
import type { MockPerson } from './persons.ts';
import { dayOf, MOCK_TODAY, workingDaysBetween } from './dates.ts';
import { PAINTER_AVS, SCENARIOS } from './scenarios.ts';

/** The days the painter's story turns on. */
export const PAINTER_STORY = {
  orpRegistration: '2026-02-02',
  socialAssistance: '2026-03-02',
  aiFiling: '2026-06-15',
  earlyIntervention: '2026-07-01',
  aiDecision: '2026-12-14',
  aiFileClosed: '2027-01-11',
  entitlementExhausted: '2027-01-29',
} as const;

const painter = SCENARIOS.get(PAINTER_AVS)!;
const S = PAINTER_STORY;

/** The painter as the registries hold him on `day`. */
export function painterOn(day: string): MockPerson {
  if (day === MOCK_TODAY) return painter;
  const u = painter.unemployment!;
  const d = painter.disability!;
  const a = painter.socialAssistance!;
  const since = <T extends { from: string }>(xs: readonly T[] | undefined) => (xs ?? []).filter((x) => x.from <= day);
  const used = workingDaysBetween(dayOf(S.orpRegistration), dayOf(day));
  const exhausted = day > S.entitlementExhausted;
  return {
    unemployment:
      day < S.orpRegistration
        ? null
        : {
            ...u,
            entitlement: { ...u.entitlement!, remainingDays: Math.max(0, u.entitlement!.entitledDays - used) },
            measures: since(u.measures),
            employability: u.employability && u.employability.assessedOn <= day ? u.employability : null,
          },
    disability:
      day < S.aiFiling
        ? null
        : {
            ...d,
            file: { ...d.file, status: day >= S.aiFileClosed ? 'CLOSED' : day >= S.aiDecision ? 'DECIDED' : day >= S.earlyIntervention ? 'EARLY_INTERVENTION' : 'FILED' },
            measures: since(d.measures),
            decision: day >= S.aiDecision ? { invalidityDegree: 20, pension: 0, decidedOn: S.aiDecision } : null,
            workCapacity: d.workCapacity && d.workCapacity.assessedOn <= day ? d.workCapacity : null,
            medical: d.workCapacity && d.workCapacity.assessedOn <= day ? d.medical : null,
          },
    socialAssistance:
      day < S.socialAssistance ? null : exhausted ? { ...a, benefits: { monthlyAmount: 3120, complementsUnemployment: false } } : a,
    supplementaryBenefits: null,
  };
}

/** A scenario or generated person as the registries hold them on `day`. */
export const storyOf = (avs: string, day: string): MockPerson | undefined => (avs === PAINTER_AVS ? painterOn(day) : undefined);
