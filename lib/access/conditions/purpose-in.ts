import { z } from 'zod';
import { defineCondition } from './condition.ts';

/** The request's purpose is one of a legal basis's purposes. */
export const purposeIn = defineCondition({
  type: 'purposeIn',
  params: z.strictObject({ purposes: z.array(z.string().min(1)).min(1) }),
  describe: (p) => `the purpose is one of: ${p.purposes.join(', ')}`,
  readsPersonFacts: false,
  check: (p, { request }) =>
    request.purpose && p.purposes.includes(request.purpose) ? null : `the purpose "${request.purpose ?? ''}" is not one of ${p.purposes.join(', ')}`,
});
