// Every condition a policy file may name, by type.
import type { ConditionDefinition } from './condition.ts';
import { caseReferenceRequired } from './case-reference-required.ts';
import { purposeIn } from './purpose-in.ts';
import { purposeRequired } from './purpose-required.ts';

export const CONDITIONS: ReadonlyMap<string, ConditionDefinition<any>> = new Map(
  [purposeRequired, caseReferenceRequired, purposeIn].map((c) => [c.type, c]),
);
export type { RequestFacts } from './condition.ts';
