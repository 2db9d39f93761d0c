import { z } from 'zod';
import { defineCondition } from './condition.ts';

/**
 * The requester is the person whose data is asked: their verified identity (the token's
 * subject, from the e-ID provider) is their AVS number. For the data subject's own rights
 * (nDSG art. 25: right of access).
 */
export const requesterIsThePerson = defineCondition({
  type: 'requesterIsThePerson',
  params: z.strictObject({}),
  describe: () => "the requester is the person concerned (the token's subject is their AVS number)",
  readsPersonFacts: false,
  check: (_p, { requester, avs }) => (requester.subject === avs ? null : 'the requester is not the person concerned'),
});
