// Disability insurance (AI): the AI office's file.
import type { SubgraphDeps } from '../shared/definition.ts';
import { defineInstitutionSubgraph } from '../shared/institution-subgraph.ts';
import { DisabilityRecord } from './registry.ts';

export const define = (deps: SubgraphDeps) =>
  defineInstitutionSubgraph(
    {
      name: 'disability',
      institution: 'AI',
      personField: 'disability',
      record: DisabilityRecord,
      toFile: (r) => ({
        ...r.file,
        measures: r.measures,
        decision: r.decision,
        workCapacity: r.workCapacity,
        medical: r.medical,
      }),
      // What the event rules compare: the file's status and the decision's day.
      observe: (r) => ({ file: true, openedOn: r.file.filedOn, status: r.file.status, ...(r.decision ? { decidedOn: r.decision.decidedOn } : {}) }),
    },
    deps,
  );
