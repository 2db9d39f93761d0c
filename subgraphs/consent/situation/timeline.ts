// One timeline of a person's support periods and measures across institutions, each period
// naming the data category it comes from.
import type { SituationInputs, SupportPeriod } from './inputs.ts';

export function timeline(i: SituationInputs): SupportPeriod[] {
  const periods: SupportPeriod[] = [];
  const u = i.unemployment;
  if (u) {
    periods.push({ institution: 'AC', kind: 'ORP_REGISTRATION', label: 'Registered as a job seeker at the ORP', from: u.registeredSince, to: null, category: 'ac.registration' });
    if (u.entitlement) {
      periods.push({
        institution: 'AC',
        kind: 'DAILY_ALLOWANCE',
        label: `Daily allowance (${u.entitlement.remainingDays} days left)`,
        from: u.entitlement.frameworkStart,
        to: u.entitlement.exhaustionDate,
        category: 'ac.entitlement',
      });
    }
    for (const m of u.measures ?? []) periods.push({ institution: 'AC', kind: 'LABOUR_MARKET_MEASURE', label: m.title, from: m.from, to: m.to, category: 'ac.measures' });
  }
  const d = i.disability;
  if (d) {
    periods.push({ institution: 'AI', kind: 'AI_REQUEST', label: `AI request (${d.status.toLowerCase().replaceAll('_', ' ')})`, from: d.filedOn, to: d.decision?.decidedOn ?? null, category: 'ai.file' });
    for (const m of d.measures ?? []) periods.push({ institution: 'AI', kind: 'AI_MEASURE', label: m.title, from: m.from, to: m.to, category: 'ai.measures' });
    if (d.decision && d.decision.pension > 0) {
      periods.push({ institution: 'AI', kind: 'AI_PENSION', label: `AI pension (${d.decision.pension}% of a full pension)`, from: d.decision.decidedOn, to: null, category: 'ai.decision' });
    }
  }
  const a = i.socialAssistance;
  if (a) {
    const topUp = a.benefits?.complementsUnemployment ? ', topping up the daily allowance' : '';
    periods.push({ institution: 'AS', kind: 'SOCIAL_ASSISTANCE', label: `Social assistance${topUp}`, from: a.openedOn, to: null, category: 'as.dossier' });
  }
  const p = i.supplementaryBenefits;
  if (p) periods.push({ institution: 'PC', kind: 'SUPPLEMENTARY_BENEFITS', label: 'Supplementary benefits (PC)', from: p.entitledSince, to: null, category: 'pc.entitlement' });
  return periods.sort((x, y) => x.from.localeCompare(y.from) || x.kind.localeCompare(y.kind));
}

/** The categories whose data the view actually used. */
export function basedOn(i: SituationInputs): string[] {
  const used = new Set<string>();
  const add = (present: unknown, category: string) => present !== null && present !== undefined && used.add(category);
  add(i.unemployment, 'ac.registration');
  add(i.unemployment?.entitlement, 'ac.entitlement');
  add(i.unemployment?.measures, 'ac.measures');
  add(i.unemployment?.employability, 'ac.employability');
  add(i.disability, 'ai.file');
  add(i.disability?.measures, 'ai.measures');
  add(i.disability?.decision, 'ai.decision');
  add(i.socialAssistance, 'as.dossier');
  add(i.socialAssistance?.benefits, 'as.benefits');
  add(i.supplementaryBenefits, 'pc.entitlement');
  add(i.supplementaryBenefits?.orpRegistrationRequired, 'pc.hypotheticalIncome');
  return [...used].sort();
}
