// Unemployment insurance (ORP): the job-seeker file from PLASTA.
import type { SubgraphDeps } from '../shared/definition.ts';
import { defineInstitutionSubgraph } from '../shared/institution-subgraph.ts';
import { UnemploymentRecord } from './registry.ts';

export const define = (deps: SubgraphDeps) =>
  defineInstitutionSubgraph(
    {
      name: 'unemployment',
      institution: 'AC',
      personField: 'unemployment',
      record: UnemploymentRecord,
      toFile: (r) => ({ ...r.registration, entitlement: r.entitlement, measures: r.measures, employability: r.employability }),
      // What the event rules compare (lib/notifications/rules): the registration and the entitlement's end.
      observe: (r) => ({ file: true, openedOn: r.registration.registeredSince, ...(r.entitlement ? { exhaustionDate: r.entitlement.exhaustionDate } : {}) }),
    },
    deps,
  );
