// Fishing made visible to the DPO (issue 18): the access log's requester-days over a period,
// each checked by every signal rule. Computed from the log alone, plus who recorded the
// consents that released reads; nothing else is kept or pooled.
import { addDays } from '../clock.ts';
import type { AccessLogEntry, AuditLog } from '../audit/log.ts';
import type { ConsentStore } from '../consents/store.ts';
import type { Institution } from '../schema/catalogue.ts';
import { dayOf, personsIn, requesterDays, type RequesterDay } from './requester-days.ts';
import type { SignalContext } from './signal-rule.ts';
import { SIGNAL_RULES } from './signals/index.ts';
import type { FishingThresholds } from './thresholds.ts';

export interface FishingSignal {
  rule: string;
  day: string;
  institution: Institution;
  role: string;
  subject: string;
  message: string;
  /** The entries that show it: enough for the DPO to open each person's log at them. */
  entries: readonly AccessLogEntry[];
}

export interface FishingReport {
  /** First and last day looked at (YYYY-MM-DD, UTC). */
  from: string;
  to: string;
  thresholds: FishingThresholds;
  /** Requester-days looked at in the period. */
  requesterDays: number;
  signals: FishingSignal[];
}


const median = (xs: readonly number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

/**
 * The signals of the days `from`..`to`, from `entries` that reach back `usualOverDays` before
 * `from` (what a usual day is measured on). `recorderOf` names who recorded a consent.
 */
export function findFishingSignals(input: {
  entries: readonly AccessLogEntry[];
  from: string;
  to: string;
  thresholds: FishingThresholds;
  recorderOf: SignalContext['recorderOf'];
}): FishingReport {
  const { from, to, thresholds } = input;
  const days = requesterDays(input.entries);
  const usualCache = new Map<string, number>();
  // An institution's usual day before `day`: the median of its requesters' days in the window before it.
  const usualBefore = (day: string, institution: Institution) => {
    const key = `${day}|${institution}`;
    let usual = usualCache.get(key);
    if (usual === undefined) {
      const start = addDays(day, -thresholds.usualOverDays);
      usual = median(days.filter((d) => d.institution === institution && d.day >= start && d.day < day).map((d) => personsIn(d.reads).size));
      usualCache.set(key, usual);
    }
    return usual;
  };
  const inPeriod = days.filter((d) => d.day >= from && d.day <= to);
  const signals: FishingSignal[] = [];
  for (const d of inPeriod) {
    const ctx: SignalContext = { thresholds, usualPersonsPerDay: (i) => usualBefore(d.day, i), recorderOf: input.recorderOf };
    for (const rule of SIGNAL_RULES.values()) {
      const found = rule.check(d, ctx);
      if (found) signals.push({ rule: rule.id, ...who(d), message: found.message, entries: found.entries });
    }
  }
  return { from, to, thresholds, requesterDays: inPeriod.length, signals };
}

const who = (d: RequesterDay) => ({ day: d.day, institution: d.institution, role: d.role, subject: d.subject });

/** Reads the log from `usualOverDays` before `from`, and the recorders of the consents that released reads (one round trip), then finds the signals. */
export async function readFishingSignals(log: AuditLog, consents: ConsentStore, period: { from: string; to: string }, thresholds: FishingThresholds): Promise<FishingReport> {
  const entries = (await log.since(`${addDays(period.from, -thresholds.usualOverDays)}T00:00:00.000Z`)).filter((e) => dayOf(e.at) <= period.to);
  const underConsent = entries.filter((e) => e.action === 'READ' && e.decision === 'ALLOWED' && e.consentId && dayOf(e.at) >= period.from);
  const recorders = new Map<string, { institution: Institution; subject: string }>();
  if (underConsent.length) {
    const byPerson = await consents.forPersons([...personsIn(underConsent)]);
    for (const list of byPerson.values()) for (const c of list) recorders.set(c.id, { institution: c.recordedBy.institution, subject: c.recordedBy.subject });
  }
  return findFishingSignals({ entries, ...period, thresholds, recorderOf: (id) => recorders.get(id) });
}
