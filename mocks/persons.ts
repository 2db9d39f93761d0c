// What the mock registries know about one person: one full record per institution (every
// section present), or null where the person has no file at that institution. The handlers
// cut these down to the requested sections.
import type { UnemploymentRecord } from '../subgraphs/unemployment/registry.ts';
import type { DisabilityRecord } from '../subgraphs/disability/registry.ts';
import type { SocialAssistanceRecord } from '../subgraphs/social-assistance/registry.ts';
import type { SupplementaryBenefitsRecord } from '../subgraphs/supplementary-benefits/registry.ts';

// Required<>: the registry schemas make sections optional (a response carries only the
// requested ones), but the mock's store always holds the whole file.
export type MockPerson = {
  unemployment: Required<UnemploymentRecord> | null;
  disability: Required<DisabilityRecord> | null;
  socialAssistance: Required<SocialAssistanceRecord> | null;
  supplementaryBenefits: Required<SupplementaryBenefitsRecord> | null;
};
