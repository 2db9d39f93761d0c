// A condition a rule puts on a request (LPGA art. 32: a reasoned request in an individual
// case). One condition per file, each with its own parameters and test.
import type { z } from 'zod';
import type { Institution } from '../../schema/catalogue.ts';
import type { DenialReason } from '../decision.ts';
import type { PersonFacts } from '../person-facts.ts';
import type { Requester } from '../requester.ts';

/** What a request says about itself, beyond who sends it. */
export interface RequestFacts {
  purpose?: string | undefined;
  caseReference?: string | undefined;
}

/** What a condition may look at: the request, who sends it, whose data is asked and what is known of them. */
export interface ConditionInput {
  request: RequestFacts;
  requester: Requester;
  /** The institution the requester acts for: their own, or the CII for a CII referent (the policy's consentRecipient). */
  institution: Institution;
  avs: string;
  /** Read only for conditions that say `readsPersonFacts`; empty otherwise. */
  facts: PersonFacts;
}

export interface ConditionDefinition<P> {
  type: string;
  params: z.ZodType<P>;
  /** For the DPO: what the condition demands, in words. */
  describe(params: P): string;
  /** Null when met; otherwise why not, in words. */
  check(params: P, input: ConditionInput): string | null;
  /** Whether it reads the person's consents or cases: they are then read before deciding. */
  readsPersonFacts: boolean;
  /** The reason a denial it causes gives (default CONDITION_UNMET). */
  reason?: Extract<DenialReason, 'CONDITION_UNMET' | 'NO_OPEN_CASE'>;
}

export const defineCondition = <P>(d: ConditionDefinition<P>) => d;
