// The benchmark's queries and persons, frozen here (not imported from test/) so that a row
// of the report's history measures the same work as the rows before it.
import { ean13CheckDigit, formatAvs } from '../lib/avs.ts';

/** Every field of the four institution files (the same selection as test/support/queries.ts). */
export const FILES = /* GraphQL */ `
  fragment Files on Person {
    avs
    unemployment {
      registeredSince office counsellor
      entitlement { frameworkStart frameworkEnd entitledDays remainingDays exhaustionDate }
      measures { kind title provider from to }
      employability { placeable assessedOn }
    }
    disability {
      filedOn status caseManager
      measures { kind title from to }
      decision { invalidityDegree pension decidedOn }
      workCapacity { usualActivityPercent adaptedActivityPercent assessedOn }
      medical { diagnoses limitations }
    }
    socialAssistance {
      openedOn center socialWorker
      benefits { monthlyAmount complementsUnemployment }
      situation { issues }
    }
    supplementaryBenefits { entitledSince monthlyAmount hypotheticalIncome orpRegistrationRequired }
  }
`;

export const PERSON = /* GraphQL */ `
  query Person($avs: ID!) { person(avs: $avs) { ...Files } }
  ${FILES}
`;

export const CASELOAD = /* GraphQL */ `
  query Caseload($avs: [ID!]!) { persons(avs: $avs) { ...Files } }
  ${FILES}
`;

/** The painter of the contract (CONTRACT.md section 5). */
export const PAINTER = '756.1234.5678.97';

/** A caseload of generated persons (spread like test/registry-batching.test.ts: some have a file at an institution, some not). */
export function caseload(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const first12 = `756${String(100_000_000 + i * 4_999).padStart(9, '0')}`;
    return formatAvs(`${first12}${ean13CheckDigit(first12)}`);
  });
}

/** The requester of Q1/Q2: the painter's AI case manager, in his AI case, for the CII. */
export const REQUESTER = {
  institution: 'AI',
  role: 'case-manager',
  sub: 'bench-case-manager',
  purpose: 'cii',
  case: 'AI-GE-2026-0815',
} as const;

/** What the consents seeded before the run release to the AI (the rest it reads by law). */
export const CONSENTED_CATEGORIES = ['ac.entitlement', 'as.benefits', 'as.situation'];

/**
 * The requester of Q2: a social worker with her caseload (each person an open case of social
 * assistance). A caseload names no case reference (CONTRACT.md section 6), so LPGA art. 32's
 * categories, which need one named, are not the AI's to read in bulk; the social worker reads
 * the AC and AI files by law, her own, and the PC's by consent: every registry is asked.
 */
export const CASELOAD_REQUESTER = { institution: 'AS', role: 'social-worker', sub: 'bench-social-worker', purpose: 'cii' } as const;

/** What the consents seeded before the run release to the social worker. */
export const CASELOAD_CONSENTED_CATEGORIES = ['ai.workCapacity', 'pc.entitlement', 'pc.hypotheticalIncome'];

export interface Scenario {
  id: 'Q1' | 'Q2-50' | 'Q2-200';
  title: string;
  body: string;
  connections: number;
  persons: string[];
}

export function scenarios(): Scenario[] {
  const c200 = caseload(200);
  const q2 = (n: number, connections: number): Scenario => ({
    id: `Q2-${n}` as Scenario['id'],
    title: `persons(avs: [${n}]) with every file field`,
    body: JSON.stringify({ query: CASELOAD, variables: { avs: c200.slice(0, n) } }),
    connections,
    persons: c200.slice(0, n),
  });
  return [
    {
      id: 'Q1',
      title: `person(avs: "${PAINTER}") with every file field`,
      body: JSON.stringify({ query: PERSON, variables: { avs: PAINTER } }),
      connections: 10,
      persons: [PAINTER],
    },
    q2(50, 4),
    q2(200, 2),
  ];
}
