// The case repertory's seed in development (CONTRACT.md section 6): the scenario persons' cases,
// and for every other person a case at each institution where the mocks give them a file,
// `<AC|AI|AS|PC>-GEN-<the 13 digits of their AVS number>`, opened when the file was.
import type { CaseRecord, CaseSeed } from '../lib/cases/store.ts';
import type { Institution } from '../lib/schema/catalogue.ts';
import type { MockPerson } from './persons.ts';
import { lookupPerson } from './registry-data.ts';
import { PAINTER_AVS, ORP_ONLY_AVS, PARTIAL_PENSION_AVS, SOCIAL_ASSISTANCE_ONLY_AVS, SCENARIOS } from './scenarios.ts';

const SCENARIO_CASES: Record<string, [Institution, string][]> = {
  [PAINTER_AVS]: [['AC', 'ORP-GE-2026-0412'], ['AI', 'AI-GE-2026-0815'], ['AS', 'HG-GE-2026-1187'], ['CII', 'CII-GE-2026-0042']],
  [ORP_ONLY_AVS]: [['AC', 'ORP-VD-2025-3301']],
  [SOCIAL_ASSISTANCE_ONLY_AVS]: [['AS', 'HG-GE-2024-0519']],
  [PARTIAL_PENSION_AVS]: [['AI', 'AI-GE-2023-0306'], ['PC', 'PC-GE-2025-0401']],
};

/** When each institution's file of a person was opened, where they have one. */
function filesOf(person: MockPerson): [Institution, string][] {
  const files: [Institution, string | undefined][] = [
    ['AC', person.unemployment?.registration.registeredSince],
    ['AI', person.disability?.file.filedOn],
    ['AS', person.socialAssistance?.dossier.openedOn],
    ['PC', person.supplementaryBenefits?.entitlement.entitledSince],
  ];
  return files.filter((f): f is [Institution, string] => f[1] !== undefined);
}

function casesOf(avs: string): CaseRecord[] {
  const person = lookupPerson(avs);
  const opened = new Map(filesOf(person));
  const scenario = SCENARIO_CASES[avs];
  if (scenario) {
    // The CII opens its case with the CII assessment: on the day of the AI filing, in the painter's story.
    return scenario.map(([institution, caseReference]) => ({ avs, institution, caseReference, openedOn: opened.get(institution) ?? person.disability?.file.filedOn ?? '2026-01-01', closedOn: null }));
  }
  if (SCENARIOS.has(avs)) return [];
  const digits = avs.replace(/\D/g, '');
  return filesOf(person).map(([institution, openedOn]) => ({ avs, institution, caseReference: `${institution}-GEN-${digits}`, openedOn, closedOn: null }));
}

const GENERATED = /^(AC|AI|AS|PC)-GEN-(756\d{10})$/;

function holderOf(institution: Institution, caseReference: string): string | undefined {
  for (const [avs, cases] of Object.entries(SCENARIO_CASES)) if (cases.some(([i, r]) => i === institution && r === caseReference)) return avs;
  const m = GENERATED.exec(caseReference);
  if (!m || m[1] !== institution) return undefined;
  const d = m[2]!;
  const avs = `${d.slice(0, 3)}.${d.slice(3, 7)}.${d.slice(7, 11)}.${d.slice(11)}`;
  return casesOf(avs).some((c) => c.institution === institution && c.caseReference === caseReference) ? avs : undefined;
}

export const MOCK_CASE_SEED: CaseSeed = { casesOf, holderOf, persons: () => Object.keys(SCENARIO_CASES) };
