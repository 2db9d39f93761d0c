import { z } from 'zod';
import { defineCondition } from './condition.ts';

/** The request states its purpose (X-Purpose header or the token's purpose claim). */
export const purposeRequired = defineCondition({
  type: 'purposeRequired',
  params: z.strictObject({}),
  describe: () => 'the request states its purpose',
  readsPersonFacts: false,
  check: (_p, { request }) => (request.purpose ? null : 'the request states no purpose'),
});
