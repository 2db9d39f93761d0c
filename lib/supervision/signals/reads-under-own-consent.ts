import { personsIn } from '../requester-days.ts';
import { defineSignalRule } from '../signal-rule.ts';

/** Releasing to oneself: reads released by a consent the same requester recorded (the form is then the only check). */
export const readsUnderOwnConsent = defineSignalRule({
  id: 'readsUnderOwnConsent',
  describe: (t) => `${t.readsUnderOwnConsent} or more persons read in a day under consents the same requester recorded`,
  check: (day, { thresholds, recorderOf }) => {
    const own = day.reads.filter((e) => {
      if (e.decision !== 'ALLOWED' || !e.consentId) return false;
      const recorder = recorderOf(e.consentId);
      return recorder?.subject === day.subject && recorder.institution === day.institution;
    });
    const persons = personsIn(own).size;
    if (persons < thresholds.readsUnderOwnConsent) return null;
    return { message: `${persons} persons read under consents this requester recorded`, entries: own };
  },
});
