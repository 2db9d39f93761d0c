// Social assistance (AS): the social-assistance dossier.
import type { SubgraphDeps } from '../shared/definition.ts';
import { defineInstitutionSubgraph } from '../shared/institution-subgraph.ts';
import { SocialAssistanceRecord } from './registry.ts';

export const define = (deps: SubgraphDeps) =>
  defineInstitutionSubgraph(
    {
      name: 'social-assistance',
      institution: 'AS',
      personField: 'socialAssistance',
      record: SocialAssistanceRecord,
      toFile: (r) => ({ ...r.dossier, benefits: r.benefits, situation: r.situation }),
      // What the event rules compare: the dossier's opening.
      observe: (r) => ({ file: true, openedOn: r.dossier.openedOn }),
    },
    deps,
  );
