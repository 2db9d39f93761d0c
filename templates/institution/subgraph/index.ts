// __TITLE__ (__INSTITUTION__): the file from its registry. Access decisions, journaling,
// batching and the registry call are the shared institution subgraph's.
import type { SubgraphDeps } from '../shared/definition.ts';
import { defineInstitutionSubgraph } from '../shared/institution-subgraph.ts';
import { __TYPE__Record } from './registry.ts';

export const define = (deps: SubgraphDeps) =>
  defineInstitutionSubgraph(
    {
      name: '__NAME__',
      institution: '__INSTITUTION__',
      personField: '__FIELD__',
      record: __TYPE__Record,
      // A section not asked (or not released) is absent from the record: its field stays null.
      toFile: (r) => ({ ...r.file, measures: r.measures }),
    },
    deps,
  );
