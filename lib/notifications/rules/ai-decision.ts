import { daysFrom, defineEventRule } from './rule.ts';
import { RECENT_DAYS } from './file-opened-or-closed.ts';

/**
 * The AI decided on the request (invalidity degree, pension or none): the ORP's placement, the
 * social assistance's budget and the PC's calculation all turn on it.
 */
export const aiDecision = defineEventRule({
  id: 'ai-decision',
  description: `The AI office decided on the person's request (seen for the first time: decided within the last ${RECENT_DAYS} days).`,
  sources: { AI: 'ai.decision' },
  detect(previous, current, today) {
    const d = current.decidedOn;
    if (!d || d === previous?.decidedOn) return [];
    if (previous === undefined && daysFrom(d, today) > RECENT_DAYS) return [];
    return [{ about: d, message: `The AI decided on ${d}.` }];
  },
});
