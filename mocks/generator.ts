// Stable synthetic persons for every AVS number that is not a fixed scenario. The data is a
// pure function of the AVS digits (a mulberry32 PRNG seeded from an FNV-1a hash), so every
// process, test and benchmark sees the same person behind the same number.
//
// Rough shares: 45 % registered at the ORP, 20 % with an AI file, 25 % at social assistance,
// 12 % with supplementary benefits. Event dates (registrations, filings, assessments,
// decisions) lie between 2023-01-01 and MOCK_TODAY; only planned ends (framework end,
// exhaustion date) and a PC entitlement starting next month may lie later.
import type { MockPerson } from './persons.ts';
import type { UnemploymentRecord } from '../subgraphs/unemployment/registry.ts';
import type { DisabilityRecord } from '../subgraphs/disability/registry.ts';
import type { SocialAssistanceRecord } from '../subgraphs/social-assistance/registry.ts';
import type { SupplementaryBenefitsRecord } from '../subgraphs/supplementary-benefits/registry.ts';
import {
  MOCK_TODAY,
  dayOf,
  firstOfNextMonth,
  frameworkEndOf,
  isoOf,
  nthWorkingDay,
  workingDaysBetween,
} from './dates.ts';

// Look-backs from TODAY stay within 1400 days, so nothing starts before 2023-01-01.
const TODAY = dayOf(MOCK_TODAY);
const YEAR_END = dayOf('2026-12-31');

/** Entitled allowance days the unemployment insurance grants (LACI art. 27). */
export const ENTITLED_DAYS = [90, 200, 260, 400, 520] as const;

// ---------------------------------------------------------------- randomness

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  // One stream per institution, so changing how one registry is generated leaves the others' data alone.
  constructor(digits: string, stream: string) {
    this.next = mulberry32(fnv1a(`${digits}/${stream}`));
  }
  float(): number {
    return this.next();
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** An integer in [lo, hi]; lo when hi < lo. */
  int(lo: number, hi: number): number {
    return hi <= lo ? lo : lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** `count` distinct items, in list order. */
  some<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, items.length)) chosen.add(Math.floor(this.next() * items.length));
    return [...chosen].sort((a, b) => a - b).map((i) => items[i]!);
  }
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [value, w] of entries) if ((r -= w) < 0) return value;
    return entries[entries.length - 1]![0];
  }
  /** A name from the invented staff lists. */
  name(): string {
    return `${this.pick(FIRST_NAMES)} ${this.pick(LAST_NAMES)}`;
  }
  /** An amount in francs rounded to 5 centimes, the smallest Swiss coin. */
  francs(lo: number, hi: number): number {
    return Math.round((lo + this.next() * (hi - lo)) * 20) / 20;
  }
}

// ---------------------------------------------------------------- invented reference data

const FIRST_NAMES = [
  'Anna', 'Luca', 'Sophie', 'Marco', 'Nadia', 'Thomas', 'Chiara', 'Julien', 'Sarah', 'Reto',
  'Elena', 'David', 'Claire', 'Stefan', 'Lea', 'Nicolas', 'Martina', 'Yves', 'Fatima', 'Samuel',
  'Isabelle', 'Urs', 'Aline', 'Kevin', 'Mirjam', 'Olivier', 'Sandra', 'Patrick', 'Noemi', 'Pascal',
] as const;
const LAST_NAMES = [
  'Müller', 'Meier', 'Schmid', 'Keller', 'Weber', 'Huber', 'Schneider', 'Favre', 'Rochat', 'Bonvin',
  'Rossi', 'Bernasconi', 'Gerber', 'Brunner', 'Baumann', 'Fischer', 'Moser', 'Dubois', 'Perret', 'Girard',
  'Zbinden', 'Widmer', 'Frei', 'Fontana', 'Pittet', 'Vuilleumier', 'Steiner', 'Bühler', 'Roth', 'Cattaneo',
] as const;

const ORP_OFFICES = [
  'ORP Genève – Jonction', 'ORP Genève – Acacias', 'ORP Lausanne', 'ORP Nyon', 'ORP Sion',
  'ORP Fribourg', 'ORP Neuchâtel', 'RAV Bern West', 'RAV Biel/Bienne', 'RAV Zürich Oerlikon',
  'RAV Winterthur', 'RAV Basel-Stadt', 'RAV Luzern', 'URC Bellinzona',
] as const;

const AC_MEASURES: ReadonlyArray<{ kind: NonNullable<UnemploymentRecord['measures']>[number]['kind']; title: string; provider: string }> = [
  { kind: 'COURSE', title: 'Office skills (bureautique)', provider: 'IFAGE' },
  { kind: 'COURSE', title: 'Job-application workshop', provider: 'OSEO' },
  { kind: 'COURSE', title: 'French for the workplace (B1)', provider: 'ECAP' },
  { kind: 'COURSE', title: 'Forklift licence (CACES)', provider: 'Suva-approved training centre' },
  { kind: 'TRAINING_PLACEMENT', title: 'Retail work placement', provider: 'Coop' },
  { kind: 'TRAINING_PLACEMENT', title: 'Warehouse logistics work placement', provider: 'Caritas' },
  { kind: 'TEMPORARY_EMPLOYMENT_PROGRAMME', title: 'Recycling workshop', provider: 'Réalise' },
  { kind: 'TEMPORARY_EMPLOYMENT_PROGRAMME', title: 'Community gardening programme', provider: 'Stiftung Arbeitsgestaltung' },
  { kind: 'INTEGRATION_ALLOWANCE', title: 'Integration allowance: in-company training', provider: 'Host employer' },
];

const AS_CENTERS = [
  'CAS Plainpalais', 'CAS Servette', 'CAS Eaux-Vives', 'CAS Pâquis', 'CAS Onex', 'CSR Lausanne',
  'CSR Nyon', 'Sozialdienst Bern', 'Sozialzentrum Zürich Hönggerstrasse', 'Sozialhilfe Basel-Stadt',
] as const;
const AS_ISSUES = ['DEBTS', 'HOUSING', 'FAMILY', 'HEALTH', 'LANGUAGE', 'CHILDCARE'] as const;

type AiStatus = DisabilityRecord['file']['status'];
const AI_STATUSES: ReadonlyArray<readonly [AiStatus, number]> = [
  ['FILED', 15],
  ['EARLY_INTERVENTION', 15],
  ['INTEGRATION', 15],
  ['ASSESSMENT', 15],
  ['DECIDED', 25],
  ['CLOSED', 15],
];
const AI_MEDICAL: ReadonlyArray<{ diagnosis: string; limitations: readonly string[] }> = [
  { diagnosis: 'Bilateral knee osteoarthritis (gonarthrosis)', limitations: ['No kneeling or squatting', 'No carrying over 10 kg', 'No work on ladders or scaffolding'] },
  { diagnosis: 'Chronic low back pain after lumbar disc herniation', limitations: ['No carrying over 5 kg', 'Alternating sitting and standing', 'No prolonged bending'] },
  { diagnosis: 'Recurrent depressive disorder, moderate episode', limitations: ['Reduced stress tolerance', 'Regular schedule needed', 'At most 6 hours a day'] },
  { diagnosis: 'Rotator cuff tear, right shoulder', limitations: ['No overhead work', 'No carrying over 5 kg with the right arm'] },
  { diagnosis: 'Generalised anxiety disorder', limitations: ['No customer-facing work under time pressure', 'Gradual increase of hours'] },
  { diagnosis: 'Type 1 diabetes with peripheral neuropathy', limitations: ['No prolonged standing', 'Regular breaks'] },
  { diagnosis: 'Carpal tunnel syndrome, both hands', limitations: ['No repetitive fine-motor work', 'No vibrating tools'] },
];
const AI_MEASURE_TITLES = {
  EARLY_INTERVENTION: ['Early intervention: job-retention assessment', 'Early intervention: workplace adaptation', 'Early intervention: career guidance'],
  INTEGRATION: ['Build-up training (entraînement progressif)', 'Socio-professional rehabilitation', 'Work trial with an employer'],
  RETRAINING: ['Building-manager training (concierge CFC)', 'Commercial employee training (CFC)', 'Logistician training (AFP)'],
} as const;

// ---------------------------------------------------------------- the AI pension scale

/**
 * Percent of a full AI pension for an invalidity degree, on the linear scale in force since
 * 2022 (LAI art. 28b): none below 40, 25 % at 40 rising 2.5 points per degree to 50, the
 * degree itself from 50 to 69, a full pension from 70.
 */
export function pensionPercent(invalidityDegree: number): number {
  if (invalidityDegree < 40) return 0;
  if (invalidityDegree < 50) return 25 + (invalidityDegree - 40) * 2.5;
  if (invalidityDegree < 70) return invalidityDegree;
  return 100;
}

// ---------------------------------------------------------------- one institution at a time

/** A day uniformly in [lo, hi]; hi itself when lo is past it. */
const dayIn = (rng: Rng, lo: number, hi: number) => rng.int(Math.min(lo, hi), hi);

function unemployment(avs: string, rng: Rng): Required<UnemploymentRecord> | null {
  if (!rng.chance(0.45)) return null;
  const registered = TODAY - rng.int(20, 1000);

  let entitlement: Required<UnemploymentRecord>['entitlement'] = null;
  if (rng.chance(0.9)) {
    const start = registered;
    const end = frameworkEndOf(start);
    const entitledDays = rng.weighted<number>([[90, 5], [200, 15], [260, 30], [400, 35], [520, 15]]);
    // Days not paid (waiting days, suspensions) push the exhaustion date back.
    const unpaid = rng.int(0, 15);
    const used = Math.max(0, Math.min(entitledDays, workingDaysBetween(start, TODAY) - unpaid));
    // Days left when the framework period is over lapse.
    const remainingDays = end < TODAY ? 0 : entitledDays - used;
    const exhaustion = Math.min(nthWorkingDay(start, entitledDays + unpaid), end);
    entitlement = {
      frameworkStart: isoOf(start),
      frameworkEnd: isoOf(end),
      entitledDays,
      remainingDays,
      exhaustionDate: isoOf(exhaustion),
    };
  }

  const measures = Array.from({ length: rng.weighted([[0, 40], [1, 40], [2, 20]]) }, () => {
    const measure = rng.pick(AC_MEASURES);
    const from = dayIn(rng, registered + 14, TODAY);
    return { ...measure, from: isoOf(from), to: isoOf(Math.min(from + rng.int(20, 120), YEAR_END)) };
  }).sort((a, b) => a.from.localeCompare(b.from));

  const employability = rng.chance(0.8)
    ? { placeable: rng.chance(0.7), assessedOn: isoOf(dayIn(rng, registered + 10, TODAY)) }
    : null;

  return {
    avs,
    registration: { registeredSince: isoOf(registered), office: rng.pick(ORP_OFFICES), counsellor: rng.name() },
    entitlement,
    measures,
    employability,
  };
}

function disability(avs: string, rng: Rng): Required<DisabilityRecord> | null {
  if (!rng.chance(0.2)) return null;
  const filed = TODAY - rng.int(30, 1400);
  const status = rng.weighted(AI_STATUSES);
  const withDecision = status === 'DECIDED' || (status === 'CLOSED' && rng.chance(0.6));
  const assessed =
    status === 'ASSESSMENT' || status === 'DECIDED' || status === 'CLOSED' || (status !== 'FILED' && rng.chance(0.4));
  // Timeline: filed → capacity assessed → decided, all on or before today.
  const assessedDay = Math.round(filed + (TODAY - filed) * (0.2 + 0.5 * rng.float()));
  const decidedDay = Math.round(assessedDay + (TODAY - assessedDay) * (0.1 + 0.6 * rng.float()));

  const workCapacity = assessed
    ? (() => {
        const usual = rng.pick([0, 0, 0, 20, 30, 50]);
        const adapted = Math.max(usual, rng.pick([40, 50, 60, 70, 80, 100, 100]));
        return { usualActivityPercent: usual, adaptedActivityPercent: adapted, assessedOn: isoOf(assessedDay) };
      })()
    : null;
  // The medical service's findings underlie every capacity assessment.
  const medicalCase = rng.pick(AI_MEDICAL);
  const medical =
    workCapacity || (status !== 'FILED' && rng.chance(0.5))
      ? { diagnoses: [medicalCase.diagnosis], limitations: rng.some(medicalCase.limitations, rng.int(1, medicalCase.limitations.length)) }
      : null;

  let decision: Required<DisabilityRecord>['decision'] = null;
  if (withDecision) {
    const adapted = workCapacity?.adaptedActivityPercent ?? 50;
    const invalidityDegree = Math.max(0, Math.min(100, 100 - adapted + rng.int(-10, 25)));
    decision = { invalidityDegree, pension: pensionPercent(invalidityDegree), decidedOn: isoOf(decidedDay) };
  }

  const measures: Required<DisabilityRecord>['measures'] = [];
  const addMeasure = (kind: keyof typeof AI_MEASURE_TITLES, after: number) => {
    const from = dayIn(rng, after + rng.int(10, 60), TODAY);
    measures.push({ kind, title: rng.pick(AI_MEASURE_TITLES[kind]), from: isoOf(from), to: isoOf(Math.min(from + rng.int(30, 180), YEAR_END)) });
    return from;
  };
  if (status !== 'FILED' && (status === 'EARLY_INTERVENTION' || status === 'INTEGRATION' || rng.chance(0.5))) {
    const ei = addMeasure('EARLY_INTERVENTION', filed);
    if (status === 'INTEGRATION' || (status !== 'EARLY_INTERVENTION' && rng.chance(0.3))) addMeasure('INTEGRATION', ei);
  }
  // Retraining is a right from a 20 % invalidity degree on (LAI art. 17).
  if (decision && decision.invalidityDegree >= 20 && rng.chance(0.4)) addMeasure('RETRAINING', decidedDay);

  return {
    avs,
    file: { filedOn: isoOf(filed), status, caseManager: rng.name() },
    measures,
    decision,
    workCapacity,
    medical,
  };
}

function socialAssistance(
  avs: string,
  rng: Rng,
  ac: Required<UnemploymentRecord> | null,
): Required<SocialAssistanceRecord> | null {
  if (!rng.chance(0.25)) return null;
  // Topping up an unemployment allowance needs one: only for ORP-registered persons, whose
  // dossier then opens after the registration.
  const complementsUnemployment = ac !== null && rng.chance(0.6);
  const opened = complementsUnemployment
    ? dayIn(rng, dayOf(ac.registration.registeredSince) + rng.int(10, 120), TODAY)
    : TODAY - rng.int(30, 1400);
  return {
    avs,
    dossier: { openedOn: isoOf(opened), center: rng.pick(AS_CENTERS), socialWorker: rng.name() },
    benefits: rng.chance(0.9) ? { monthlyAmount: rng.francs(300, 3200), complementsUnemployment } : null,
    situation: rng.chance(0.85) ? { issues: rng.some(AS_ISSUES, rng.int(1, 3)) } : null,
  };
}

function supplementaryBenefits(
  avs: string,
  rng: Rng,
  ai: Required<DisabilityRecord> | null,
): Required<SupplementaryBenefitsRecord> | null {
  const decision = ai?.decision ?? null;
  // PC mostly supplement an AI pension.
  const pensioned = decision !== null && decision.pension > 0;
  if (!rng.chance(pensioned ? 0.5 : 0.105)) return null;
  const since = decision ? firstOfNextMonth(dayOf(decision.decidedOn)) : firstOfNextMonth(TODAY - rng.int(30, 1400));
  // A hypothetical income is imputed on the work capacity an AI decision left.
  const imputed = decision !== null && decision.invalidityDegree < 70;
  return {
    avs,
    entitlement: { entitledSince: isoOf(since), monthlyAmount: rng.francs(150, 2600) },
    hypotheticalIncome: imputed
      ? { yearlyAmount: Math.round(rng.int(8000, 32000) / 50) * 50, orpRegistrationRequired: rng.chance(0.6) }
      : { yearlyAmount: null, orpRegistrationRequired: false },
  };
}

/** The stable generated person behind an AVS number (any form; only its digits count). */
export function generatePerson(avs: string): MockPerson {
  const digits = avs.replace(/\D/g, '');
  const ac = unemployment(avs, new Rng(digits, 'ac'));
  const ai = disability(avs, new Rng(digits, 'ai'));
  return {
    unemployment: ac,
    disability: ai,
    socialAssistance: socialAssistance(avs, new Rng(digits, 'as'), ac),
    supplementaryBenefits: supplementaryBenefits(avs, new Rng(digits, 'pc'), ai),
  };
}
