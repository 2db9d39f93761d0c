import { personsIn } from '../requester-days.ts';
import { defineSignalRule } from '../signal-rule.ts';

/** Reading far more persons than a requester of the same institution usually does in a day. */
export const unusualVolume = defineSignalRule({
  id: 'unusualVolume',
  describe: (t) =>
    `${t.volumeMinimum} or more persons read in a day, and more than ${t.volumeFactor} times the usual day at the requester's institution (the median of its requesters' days over the ${t.usualOverDays} days before)`,
  check: (day, { thresholds, usualPersonsPerDay }) => {
    const persons = personsIn(day.reads).size;
    const usual = usualPersonsPerDay(day.institution);
    if (persons < thresholds.volumeMinimum || persons <= thresholds.volumeFactor * usual) return null;
    return { message: `${persons} persons read, ${usual ? `against a usual ${usual} at ${day.institution}` : `with no usual day known at ${day.institution}`}`, entries: day.reads };
  },
});
