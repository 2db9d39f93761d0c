// Replays a recorded access log against a new policy: which past accesses it would have
// denied, which past denials it would have allowed, and which it cannot say without the
// consent registry. Each entry's requester, person, category, purpose and case reference
// feed the new policy's rule and conditions exactly as a live request would.
//
// Consents are replayed honestly: an access the log shows was released by a consent stays
// released under a new "consent" rule (the consent existed then and named this requester,
// category and purpose), as long as the consent must still name the same institution. An
// access that needs a consent under the new policy but was not released by one can only be
// decided from the consent registry: a consent in force at the time of the access.
import { decide } from '../access/decide.ts';
import type { Policy } from '../access/policy.ts';
import type { AccessLogEntry } from '../audit/log.ts';
import type { ConsentRecord } from '../consents/store.ts';
import type { Institution } from '../schema/catalogue.ts';

export type ReplayOutcome = 'wouldDeny' | 'wouldAllow' | 'undecided' | 'otherBasis' | 'unchanged';

export interface ReplayedEntry {
  entry: AccessLogEntry;
  outcome: ReplayOutcome;
  /** What the new policy decides, in words: "allowed under LPGA art. 32 al. 1 et 2", "denied (no rule)", ... */
  now: string;
}

export interface ReplayReport {
  total: number;
  counts: Record<ReplayOutcome, number>;
  /** Every entry whose outcome is not 'unchanged', oldest first. */
  changed: ReplayedEntry[];
  /** Whether a consent registry was consulted. */
  consentsChecked: boolean;
}

export interface ReplayOptions {
  /** The policy the log was recorded under (for the consent recipient and to read past denials); default: none known. */
  old?: Policy;
  /** All consents of a person (revoked and expired included), when the consent registry can be read. */
  consentsOf?: (avs: string) => readonly ConsentRecord[] | undefined;
}

/** A consent that was in force at `at` (not yet revoked, not expired, already granted), naming the recipient, category and purpose. */
export function consentInForceAt(
  consents: readonly ConsentRecord[],
  recipient: Institution,
  category: string,
  purpose: string | null,
  at: string,
): ConsentRecord | undefined {
  if (!purpose) return undefined;
  const t = Date.parse(at);
  const day = at.slice(0, 10);
  return consents.find(
    (c) =>
      Date.parse(c.grantedAt) <= t &&
      (c.revokedAt === null || Date.parse(c.revokedAt) > t) &&
      c.validUntil >= day &&
      c.purpose === purpose &&
      c.recipients.includes(recipient) &&
      c.categories.includes(category),
  );
}

type Verdict = { allowed: true; now: string } | { allowed: false; now: string } | { undecided: true; now: string };

function decideNow(policy: Policy, e: AccessLogEntry, opts: ReplayOptions): Verdict {
  const requester = { institution: e.institution, role: e.role, subject: e.subject };
  const release = policy.releaseFor(e.institution, e.role, e.category);
  if (!policy.roleExistsAt(e.institution, e.role)) return { allowed: false, now: `denied (the role ${e.role} does not exist at ${e.institution})` };
  if (!release) return { allowed: false, now: 'denied (no rule)' };
  if (release.kind === 'never') return { allowed: false, now: 'denied (never, not even with consent)' };
  if (release.kind === 'legalBasis') {
    const facts = { purpose: e.purpose ?? undefined, caseReference: e.caseReference ?? undefined };
    const d = decide(policy, requester, facts, e.avs, e.category, [], e.at.slice(0, 10));
    return d.allowed ? { allowed: true, now: `allowed under ${release.basis.citation}` } : { allowed: false, now: `denied (${d.reason})` };
  }
  // A consent rule.
  const recipient = policy.consentRecipientOf(e.institution, e.role);
  const sameRecipient = opts.old !== undefined && opts.old.consentRecipientOf(e.institution, e.role) === recipient;
  if (e.decision === 'ALLOWED' && e.consentId && sameRecipient) {
    return { allowed: true, now: `allowed by consent ${e.consentId} (it released this access then)` };
  }
  const consents = opts.consentsOf?.(e.avs);
  if (consents) {
    const c = consentInForceAt(consents, recipient, e.category, e.purpose, e.at);
    return c ? { allowed: true, now: `allowed by consent ${c.id} (in force then)` } : { allowed: false, now: `denied (no consent naming ${recipient} was in force then)` };
  }
  // A past denial under the same consent rule: no consent was in force then.
  const oldRelease = opts.old?.releaseFor(e.institution, e.role, e.category);
  if (e.decision === 'DENIED' && oldRelease?.kind === 'consent' && sameRecipient) {
    return { allowed: false, now: 'denied (no consent was in force then: it was denied under the same consent rule)' };
  }
  if (!e.purpose) return { allowed: false, now: 'denied (a consent names a purpose, and the request stated none)' };
  return {
    undecided: true,
    now: `needs a consent: check that a consent naming ${recipient}, ${e.category} and the purpose "${e.purpose}" was in force on ${e.at.slice(0, 10)}`,
  };
}

export function replayAccessLog(entries: readonly AccessLogEntry[], policy: Policy, opts: ReplayOptions = {}): ReplayReport {
  const counts: Record<ReplayOutcome, number> = { wouldDeny: 0, wouldAllow: 0, undecided: 0, otherBasis: 0, unchanged: 0 };
  const changed: ReplayedEntry[] = [];
  const sorted = [...entries].sort((a, b) => Number(a.id) - Number(b.id));
  for (const entry of sorted) {
    const v = decideNow(policy, entry, opts);
    let outcome: ReplayOutcome;
    if ('undecided' in v) outcome = 'undecided';
    else if (entry.decision === 'ALLOWED' && !v.allowed) outcome = 'wouldDeny';
    else if (entry.decision === 'DENIED' && v.allowed) outcome = 'wouldAllow';
    else if (entry.decision === 'ALLOWED' && v.allowed && (entry.legalBasis ? v.now !== `allowed under ${entry.legalBasis}` : v.now.startsWith('allowed under '))) outcome = 'otherBasis';
    else outcome = 'unchanged';
    counts[outcome]++;
    if (outcome !== 'unchanged') changed.push({ entry, outcome, now: v.now });
  }
  return { total: sorted.length, counts, changed, consentsChecked: opts.consentsOf !== undefined };
}

/** How a past decision reads: "allowed under LACI art. 85f", "allowed by consent c-1", "denied". */
export function pastDecision(e: AccessLogEntry): string {
  if (e.decision === 'DENIED') return 'denied';
  if (e.legalBasis) return `allowed under ${e.legalBasis}`;
  if (e.consentId) return `allowed by consent ${e.consentId}`;
  return 'allowed';
}

const HEADINGS: Record<Exclude<ReplayOutcome, 'unchanged'>, string> = {
  wouldDeny: 'Past accesses the new policy would have DENIED',
  wouldAllow: 'Past denials the new policy would have ALLOWED',
  undecided: 'Past accesses that need a consent under the new policy (cannot be decided from the log)',
  otherBasis: 'Past accesses still allowed, but under another basis',
};

/** The replay in words, grouped by requester, category and what changed; entry ids to look them up. */
export function renderReplay(report: ReplayReport, opts: { maxIds?: number } = {}): string {
  const maxIds = opts.maxIds ?? 10;
  const lines: string[] = [];
  lines.push(
    `Replayed ${report.total} journaled decision${report.total === 1 ? '' : 's'}: ${report.counts.wouldDeny} would be denied, ${report.counts.wouldAllow} would be allowed, ` +
      `${report.counts.undecided} need a consent check, ${report.counts.otherBasis} would rest on another basis, ${report.counts.unchanged} unchanged.` +
      (report.consentsChecked ? ' Consents were read from the consent registry.' : ''),
  );
  for (const outcome of ['wouldDeny', 'wouldAllow', 'undecided', 'otherBasis'] as const) {
    const items = report.changed.filter((c) => c.outcome === outcome);
    if (!items.length) continue;
    lines.push('', `${HEADINGS[outcome]} (${items.length}):`);
    const groups = new Map<string, ReplayedEntry[]>();
    for (const it of items) {
      const e = it.entry;
      const k = JSON.stringify([e.institution, e.role, e.category, pastDecision(e).replace(/consent \S+$/, 'consent'), it.now.replace(/consent \S+ \(/, 'consent (')]);
      groups.set(k, [...(groups.get(k) ?? []), it]);
    }
    for (const g of groups.values()) {
      const e = g[0]!.entry;
      const ids = g.map((x) => x.entry.id);
      const dates = [g[0]!.entry.at.slice(0, 10), g.at(-1)!.entry.at.slice(0, 10)];
      const period = dates[0] === dates[1] ? `on ${dates[0]}` : `${dates[0]} to ${dates[1]}`;
      const persons = new Set(g.map((x) => x.entry.avs)).size;
      lines.push(
        `  - ${e.institution} ${e.role} → ${e.category}: ${g.length} decision${g.length === 1 ? '' : 's'} (${persons} person${persons === 1 ? '' : 's'}, ${period}); ` +
          `then ${pastDecision(e)}; now ${g[0]!.now}. Entries ${ids.slice(0, maxIds).join(', ')}${ids.length > maxIds ? `, … (${ids.length - maxIds} more)` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
