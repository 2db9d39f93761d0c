// Calendar arithmetic on ISO dates (UTC days), enough for periods and gaps.
const DAY = 86_400_000;
export const toDay = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY);
export const fromDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
export const addDays = (iso: string, n: number) => fromDay(toDay(iso) + n);
export const daysBetween = (from: string, to: string) => toDay(to) - toDay(from);
