// A condition a legal basis puts on a request (LPGA art. 32: a reasoned request in an
// individual case). One condition per file, each with its own parameters and test.
import type { z } from 'zod';

/** What a request says about itself, beyond who sends it. */
export interface RequestFacts {
  purpose?: string | undefined;
  caseReference?: string | undefined;
}

/** What a condition may look at: the request, who sends it, and whose data is asked. */
export interface ConditionInput extends RequestFacts {
  requesterSubject: string;
  avs: string;
}

export interface ConditionDefinition<P> {
  type: string;
  params: z.ZodType<P>;
  /** For the DPO: what the condition demands, in words. */
  describe(params: P): string;
  /** Null when met; otherwise why not. */
  check(params: P, request: ConditionInput): string | null;
  /**
   * Whether the outcome depends on whose data is asked (`avs`). One that does not is checked
   * once per request and category, not once per person of a caseload. Stated by every
   * condition: a wrong `false` would release a caseload on one person's outcome.
   */
  readsPerson: boolean;
}

export const defineCondition = <P>(d: ConditionDefinition<P>) => d;
