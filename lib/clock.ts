// Time comes from one injectable clock, so consent validity and log timestamps can be tested
// at any date without sleeping.
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** ISO date (YYYY-MM-DD) of an instant, in UTC. */
export const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** The ISO date `n` days after (before, for n < 0) an ISO date, in UTC. */
export const addDays = (day: string, n: number) => isoDate(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));
