// Every condition a policy file may name, by type.
import type { ConditionDefinition } from './condition.ts';
import { caseReferenceRequired } from './case-reference-required.ts';
import { openCase } from './open-case.ts';
import { purposeIn } from './purpose-in.ts';
import { purposeRequired } from './purpose-required.ts';
import { requesterIsThePerson } from './requester-is-the-person.ts';

export const CONDITIONS: ReadonlyMap<string, ConditionDefinition<any>> = new Map(
  [purposeRequired, caseReferenceRequired, purposeIn, requesterIsThePerson, openCase].map((c) => [c.type, c]),
);
export type { ConditionInput, RequestFacts } from './condition.ts';
