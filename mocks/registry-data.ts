// The registries' view of the mock persons: which sections each registry has, and the
// lookup protocol's answer (data minimisation included) for one call.
import type { RegistrySubgraphName } from '../lib/config.ts';
import { parseAvs } from '../lib/avs.ts';
import type { LookupRequest } from '../subgraphs/shared/registry-schema.ts';
import { UnemploymentRecord } from '../subgraphs/unemployment/registry.ts';
import { DisabilityRecord } from '../subgraphs/disability/registry.ts';
import { SocialAssistanceRecord } from '../subgraphs/social-assistance/registry.ts';
import { SupplementaryBenefitsRecord } from '../subgraphs/supplementary-benefits/registry.ts';
import type { MockPerson } from './persons.ts';
import { SCENARIOS } from './scenarios.ts';
import { generatePerson } from './generator.ts';
import { MOCK_TODAY } from './dates.ts';
import { storyOf } from './story.ts';

/** Larger calls are refused, as a real registry would bound its batch size. */
export const MAX_REQUESTS_PER_CALL = 1000;

// Sections come from the record schemas' keys (in declaration order, first = the existence
// section), so the mocks cannot drift from the records the subgraphs parse.
const sectionsOf = (shape: Record<string, unknown>): readonly string[] => Object.keys(shape).filter((k) => k !== 'avs');

export const REGISTRY_SECTIONS: Record<RegistrySubgraphName, readonly string[]> = {
  unemployment: sectionsOf(UnemploymentRecord.shape),
  disability: sectionsOf(DisabilityRecord.shape),
  'social-assistance': sectionsOf(SocialAssistanceRecord.shape),
  'supplementary-benefits': sectionsOf(SupplementaryBenefitsRecord.shape),
};

/** A scenario person if the AVS is one, else the generated person, as on `day` (the mocks' clock). `avs` is canonical. */
export function lookupPerson(avs: string, day: string = MOCK_TODAY): MockPerson {
  return storyOf(avs, day) ?? SCENARIOS.get(avs) ?? generatePerson(avs);
}

/** A person's full record at one registry, or null without a file there. */
export function recordOf(registry: RegistrySubgraphName, person: MockPerson): Record<string, unknown> | null {
  switch (registry) {
    case 'unemployment':
      return person.unemployment;
    case 'disability':
      return person.disability;
    case 'social-assistance':
      return person.socialAssistance;
    case 'supplementary-benefits':
      return person.supplementaryBenefits;
  }
}

export type RegistryFile = { avs: string } & Record<string, unknown>;
export type LookupResult = { ok: true; files: RegistryFile[] } | { ok: false; error: string };

/**
 * Answers one lookup call: a file per person known to the registry, holding the existence
 * section and the requested sections only. The whole call is refused on the first invalid
 * AVS or unknown section, naming it. Repeated AVS numbers are merged into one file (union of
 * sections), in order of first appearance; `avs` in a file is the canonical dotted form.
 */
export function lookupFiles(registry: RegistrySubgraphName, body: LookupRequest, day: string = MOCK_TODAY): LookupResult {
  const { requests } = body;
  if (requests.length > MAX_REQUESTS_PER_CALL) {
    return { ok: false, error: `requests: at most ${MAX_REQUESTS_PER_CALL} per call, got ${requests.length}` };
  }
  const known = REGISTRY_SECTIONS[registry];
  const wanted = new Map<string, Set<string>>();
  for (const [i, request] of requests.entries()) {
    const parsed = parseAvs(request.avs);
    if (!parsed.ok) return { ok: false, error: `requests[${i}].avs ${JSON.stringify(request.avs)}: ${parsed.message}` };
    for (const section of request.sections) {
      if (!known.includes(section)) {
        return {
          ok: false,
          error: `requests[${i}].sections: unknown section ${JSON.stringify(section)} for the ${registry} registry (known: ${known.join(', ')})`,
        };
      }
    }
    const sections = wanted.get(parsed.avs) ?? new Set<string>();
    for (const section of request.sections) sections.add(section);
    wanted.set(parsed.avs, sections);
  }

  const files: RegistryFile[] = [];
  for (const [avs, sections] of wanted) {
    const record = recordOf(registry, lookupPerson(avs, day));
    if (!record) continue;
    const file: RegistryFile = { avs };
    for (const [index, section] of known.entries()) {
      if (index === 0 || sections.has(section)) file[section] = record[section];
    }
    files.push(file);
  }
  return { ok: true, files };
}
