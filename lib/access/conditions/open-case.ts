import { z } from 'zod';
import { openCasesAt } from '../../cases/store.ts';
import { defineCondition } from './condition.ts';

/**
 * The person is an open case of the institution the requester acts for (CONTRACT.md section 6):
 * the case the request names if it names one, else any open case there. Without it, a legal
 * basis for "assistance in an individual case" would be a licence to look anyone up.
 */
export const openCase = defineCondition({
  type: 'openCase',
  params: z.strictObject({}),
  describe: () => "the person is an open case of the requester's institution (of the CII for a CII referent), the case the request names if it names one",
  readsPersonFacts: true,
  reason: 'NO_OPEN_CASE',
  check: (_p, { request, institution, facts }) => {
    const open = openCasesAt(facts.cases, institution);
    if (request.caseReference === undefined) return open.length ? null : `the person is no open case of ${institution}`;
    return open.some((c) => c.caseReference === request.caseReference) ? null : `"${request.caseReference}" is no open case of ${institution} for this person`;
  },
});
