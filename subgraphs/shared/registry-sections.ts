// Checked when an institutional subgraph is defined, so the stack does not start with it:
// every section of its registry record (each key but `avs`) must be a data category of its
// institution in the catalogue (`ac.entitlement` → `entitlement`). A key with no category
// would be a section the subgraph could ask for without any rule deciding it.
import { z } from 'zod';
import { StartupError } from '../../lib/errors.ts';
import type { CategoryCatalogue, Institution } from '../../lib/schema/catalogue.ts';
import { sectionOf } from './registry-schema.ts';

export function checkRegistrySections(subgraph: string, institution: Institution, record: z.ZodType, catalogue: CategoryCatalogue): void {
  const where = `subgraphs/${subgraph}/registry.ts`;
  if (!(record instanceof z.ZodObject)) throw new StartupError(where, ['the registry record must be a z.object() whose keys are its sections']);
  const sections = new Map(catalogue.categories.filter((c) => c.institution === institution).map((c) => [sectionOf(c.id), c.id]));
  const problems = Object.keys(record.shape)
    .filter((key) => key !== 'avs' && !sections.has(key))
    .map((key) => `section "${key}" matches no category of ${institution} in schema/categories.json (a section is a category id without its prefix; ${institution}'s: ${[...sections.keys()].join(', ')})`);
  if (problems.length) throw new StartupError(where, problems);
}
