import { z } from 'zod';
import { defineCondition } from './condition.ts';

/** The request names the individual case it is made in (X-Case-Reference or the token's case claim). */
export const caseReferenceRequired = defineCondition({
  type: 'caseReferenceRequired',
  params: z.strictObject({}),
  describe: () => 'the request names the individual case (case reference)',
  readsPersonFacts: false,
  check: (_p, { request }) => (request.caseReference ? null : 'the request names no case reference'),
});
