import { personsIn } from '../requester-days.ts';
import { defineSignalRule } from '../signal-rule.ts';

/** Looking up persons one does not handle: reads denied because the person is no open case of the requester's institution. */
export const readsOutsideAnyCase = defineSignalRule({
  id: 'readsOutsideAnyCase',
  describe: (t) => `${t.readsOutsideAnyCase} or more reads in a day denied because the person is no open case of the requester's institution`,
  check: (day, { thresholds }) => {
    const denied = day.reads.filter((e) => e.decision === 'DENIED' && e.reason === 'NO_OPEN_CASE');
    if (denied.length < thresholds.readsOutsideAnyCase) return null;
    return { message: `${denied.length} reads denied for want of an open case, about ${personsIn(denied).size} persons`, entries: denied };
  },
});
