// The fixed scenario persons of CONTRACT.md section 5. Their dates are consistent across
// institutions and with the mocks' "today" (MOCK_TODAY, 2026-11-20): e.g. the painter has
// used 210 of his 260 allowance days (2026-02-02 to 2026-11-20, Monday to Friday), so his
// remaining 50 days exhaust on 2027-01-29.
import type { MockPerson } from './persons.ts';

export const PAINTER_AVS = '756.1234.5678.97';
export const ORP_ONLY_AVS = '756.9876.5432.17';
export const SOCIAL_ASSISTANCE_ONLY_AVS = '756.1111.2222.39';
export const PARTIAL_PENSION_AVS = '756.4444.5555.62';
export const UNKNOWN_AVS = '756.0000.0000.19';

/** 26, house painter, married, one child, knee problem: mid-story, before any AI decision. */
const painter: MockPerson = {
  unemployment: {
    avs: PAINTER_AVS,
    registration: { registeredSince: '2026-02-02', office: 'ORP Genève – Jonction', counsellor: 'Sophie Meyer' },
    entitlement: {
      frameworkStart: '2026-02-02',
      frameworkEnd: '2028-02-01',
      entitledDays: 260,
      remainingDays: 50,
      exhaustionDate: '2027-01-29',
    },
    measures: [
      { kind: 'COURSE', title: 'Office skills (bureautique)', provider: 'IFAGE', from: '2026-05-04', to: '2026-07-31' },
    ],
    employability: { placeable: true, assessedOn: '2026-05-20' },
  },
  disability: {
    avs: PAINTER_AVS,
    file: { filedOn: '2026-06-15', status: 'EARLY_INTERVENTION', caseManager: 'Laura Rossi' },
    measures: [
      { kind: 'EARLY_INTERVENTION', title: 'Early intervention: job-retention assessment', from: '2026-07-01', to: '2026-08-31' },
      { kind: 'RETRAINING', title: 'Building-manager training (concierge CFC)', from: '2026-09-07', to: '2027-06-30' },
    ],
    decision: null,
    workCapacity: { usualActivityPercent: 0, adaptedActivityPercent: 100, assessedOn: '2026-10-12' },
    medical: {
      diagnoses: ['Bilateral knee osteoarthritis (gonarthrosis)'],
      limitations: ['No kneeling or squatting', 'No carrying over 10 kg', 'No work on ladders or scaffolding'],
    },
  },
  socialAssistance: {
    avs: PAINTER_AVS,
    dossier: { openedOn: '2026-03-02', center: 'CAS Plainpalais', socialWorker: 'Marc Dubois' },
    benefits: { monthlyAmount: 1180.5, complementsUnemployment: true },
    situation: { issues: ['FAMILY', 'HEALTH'] },
  },
  supplementaryBenefits: null,
};

/** Registered at the ORP only: 335 of 400 days used (5 waiting days not paid), 65 left. */
const orpOnly: MockPerson = {
  unemployment: {
    avs: ORP_ONLY_AVS,
    registration: { registeredSince: '2025-08-04', office: 'ORP Lausanne', counsellor: 'Thomas Berger' },
    entitlement: {
      frameworkStart: '2025-08-04',
      frameworkEnd: '2027-08-03',
      entitledDays: 400,
      remainingDays: 65,
      exhaustionDate: '2027-02-19',
    },
    measures: [
      {
        kind: 'TRAINING_PLACEMENT',
        title: 'Warehouse logistics work placement',
        provider: 'Caritas Vaud',
        from: '2026-03-02',
        to: '2026-05-29',
      },
    ],
    employability: { placeable: true, assessedOn: '2026-06-15' },
  },
  disability: null,
  socialAssistance: null,
  supplementaryBenefits: null,
};

/** Social assistance only, so the benefits complement no unemployment allowance. */
const socialAssistanceOnly: MockPerson = {
  unemployment: null,
  disability: null,
  socialAssistance: {
    avs: SOCIAL_ASSISTANCE_ONLY_AVS,
    dossier: { openedOn: '2024-05-13', center: 'CAS Servette', socialWorker: 'Nadia Keller' },
    benefits: { monthlyAmount: 2150, complementsUnemployment: false },
    situation: { issues: ['DEBTS', 'HOUSING'] },
  },
  supplementaryBenefits: null,
};

/**
 * Partial AI pension: degree 45 gives 37.5 % of a full pension on the linear scale
 * (25 % at 40, +2.5 points per degree up to 50). The PC office imputes a hypothetical income
 * on the remaining work capacity and requires an ORP registration, which has not happened yet.
 */
const partialPension: MockPerson = {
  unemployment: null,
  disability: {
    avs: PARTIAL_PENSION_AVS,
    file: { filedOn: '2023-03-06', status: 'DECIDED', caseManager: 'Daniel Favre' },
    measures: [
      { kind: 'INTEGRATION', title: 'Build-up training (entraînement progressif)', from: '2023-10-02', to: '2024-03-29' },
    ],
    decision: { invalidityDegree: 45, pension: 37.5, decidedOn: '2025-03-14' },
    workCapacity: { usualActivityPercent: 20, adaptedActivityPercent: 60, assessedOn: '2024-10-21' },
    medical: {
      diagnoses: ['Chronic low back pain after lumbar disc herniation (L4-L5)'],
      limitations: ['No carrying over 5 kg', 'Alternating sitting and standing', 'At most 6 hours a day'],
    },
  },
  socialAssistance: null,
  supplementaryBenefits: {
    avs: PARTIAL_PENSION_AVS,
    entitlement: { entitledSince: '2025-04-01', monthlyAmount: 865.4 },
    hypotheticalIncome: { yearlyAmount: 21450, orpRegistrationRequired: true },
  },
};

const nobody: MockPerson = { unemployment: null, disability: null, socialAssistance: null, supplementaryBenefits: null };

export const SCENARIOS: ReadonlyMap<string, MockPerson> = new Map([
  [PAINTER_AVS, painter],
  [ORP_ONLY_AVS, orpOnly],
  [SOCIAL_ASSISTANCE_ONLY_AVS, socialAssistanceOnly],
  [PARTIAL_PENSION_AVS, partialPension],
  [UNKNOWN_AVS, nobody],
]);
