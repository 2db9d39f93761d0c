// The access log cut into requester-days: what one person with an account (institution, role,
// subject) read on one day. Fishing shows in such a day, not in one decision.
import type { AccessLogEntry } from '../audit/log.ts';
import type { Institution } from '../schema/catalogue.ts';

export interface RequesterDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  institution: Institution;
  role: string;
  subject: string;
  /** The day's read decisions (action READ), oldest first. */
  reads: AccessLogEntry[];
}

/** Reading the log itself (the DPO's supervision, journaled too): looking at these signals would otherwise flag the DPO. */
const SUPERVISION_CATEGORY = 'audit.accessLog';

export const dayOf = (at: string): string => at.slice(0, 10);

/** The requester-days of these entries, by day then requester; only reads of personal data count (not consent and case actions, nor reading the log). */
export function requesterDays(entries: readonly AccessLogEntry[]): RequesterDay[] {
  const days = new Map<string, RequesterDay>();
  for (const e of entries) {
    if (e.action !== 'READ' || e.category === SUPERVISION_CATEGORY) continue;
    const day = dayOf(e.at);
    const key = `${day}|${e.institution}|${e.role}|${e.subject}`;
    let d = days.get(key);
    if (!d) days.set(key, (d = { day, institution: e.institution, role: e.role, subject: e.subject, reads: [] }));
    d.reads.push(e);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day) || a.subject.localeCompare(b.subject));
}

/** The distinct persons a day's entries concern. */
export const personsIn = (entries: readonly AccessLogEntry[]): Set<string> => new Set(entries.map((e) => e.avs));
