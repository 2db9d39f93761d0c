// Calendar arithmetic on whole UTC days, for dates that stay consistent across institutions.
// Days are integers counted from 1970-01-01 (a Thursday), so no time zone ever shifts a date.

const DAY_MS = 86_400_000;

/** The mocks' "today": every generated date lies on or before it (except planned ends). */
export const MOCK_TODAY = '2026-11-20';

export const dayOf = (iso: string): number => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
export const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Monday to Friday: the unemployment insurance counts allowance days in working days. */
export const isWorkingDay = (day: number): boolean => {
  const weekday = (((day + 4) % 7) + 7) % 7; // 0 = Sunday
  return weekday >= 1 && weekday <= 5;
};

// Working days among the first r days of a week that starts on a Thursday (day 0).
const PARTIAL_WEEK = [0, 1, 2, 2, 2, 3, 4] as const;
const workingDaysBefore = (day: number): number => Math.floor(day / 7) * 5 + PARTIAL_WEEK[day % 7]!;

/** Working days in [from, to], both included; 0 when to < from. */
export const workingDaysBetween = (from: number, to: number): number =>
  to < from ? 0 : workingDaysBefore(to + 1) - workingDaysBefore(from);

/** The day of the n-th working day counted from `start` included (n ≥ 1). */
export function nthWorkingDay(start: number, n: number): number {
  let day = start;
  while (!isWorkingDay(day)) day++;
  let left = n - 1;
  const weeks = Math.floor(left / 5);
  day += weeks * 7;
  left -= weeks * 5;
  while (left > 0) {
    day++;
    if (isWorkingDay(day)) left--;
  }
  return day;
}

/** Same calendar date `months` later (JavaScript rolls 31 Jan + 1 month to early March). */
export function addMonths(day: number, months: number): number {
  const d = new Date(day * DAY_MS);
  return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()) / DAY_MS);
}

/** The first day of the month following `day`. */
export function firstOfNextMonth(day: number): number {
  const d = new Date(day * DAY_MS);
  return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS);
}

/** A framework period lasts two years: it ends the day before the second anniversary (LACI art. 9). */
export const frameworkEndOf = (start: number): number => addMonths(start, 24) - 1;
