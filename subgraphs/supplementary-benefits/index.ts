// Supplementary benefits (PC): entitlement and hypothetical income.
import type { SubgraphDeps } from '../shared/definition.ts';
import { defineInstitutionSubgraph } from '../shared/institution-subgraph.ts';
import { SupplementaryBenefitsRecord } from './registry.ts';

export const define = (deps: SubgraphDeps) =>
  defineInstitutionSubgraph(
    {
      name: 'supplementary-benefits',
      institution: 'PC',
      personField: 'supplementaryBenefits',
      record: SupplementaryBenefitsRecord,
      toFile: (r) => ({
        ...r.entitlement,
        hypotheticalIncome: r.hypotheticalIncome?.yearlyAmount,
        orpRegistrationRequired: r.hypotheticalIncome?.orpRegistrationRequired,
      }),
      // What the event rules compare: the entitlement's start and the ORP requirement.
      observe: (r) => ({ file: true, openedOn: r.entitlement.entitledSince, ...(r.hypotheticalIncome ? { orpRegistrationRequired: r.hypotheticalIncome.orpRegistrationRequired } : {}) }),
    },
    deps,
  );
