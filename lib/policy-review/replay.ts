// Replays a recorded access log against a new policy: which past accesses it would have
// denied, which past denials it would have allowed, and which it cannot say without the
// consent registry. Each entry's requester, person, category, purpose and case reference
// feed the new policy's rule and conditions exactly as a live request would.
//
// Each entry is decided by the decision core's own decide(), at the time of the access.
// Consents are replayed honestly: an access the log shows was released by a consent stays
// released under a new "consent" rule (the consent existed then and named this requester,
// category and purpose), as long as the consent must still name the same institution. An
// access that needs a consent under the new policy but was not released by one can only be
// decided from the consent registry, as it stood at the time of the access.
import { decide } from '../access/decide.ts';
import type { Denied } from '../access/decision.ts';
import type { Policy } from '../access/policy.ts';
import type { AccessLogEntry } from '../audit/log.ts';
import type { CaseRecord } from '../cases/store.ts';
import type { ConsentRecord } from '../consents/store.ts';

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
  /** All cases of a person (closed ones included), when the case repertory can be read. */
  casesOf?: (avs: string) => readonly CaseRecord[] | undefined;
}

/**
 * A person's consents as they stood at `at`: those granted by then, a revocation recorded
 * after it undone. Deciding on them at `at` tells whether a consent was in force then.
 */
export function consentsAsOf(consents: readonly ConsentRecord[], at: string): ConsentRecord[] {
  const t = Date.parse(at);
  return consents
    .filter((c) => Date.parse(c.grantedAt) <= t)
    .map((c) => (c.revokedAt !== null && Date.parse(c.revokedAt) > t ? { ...c, revokedAt: null, revokedBy: null } : c));
}

/** A person's cases as they stood on the day of `at`: opened by then, a closing after it undone. */
export function casesAsOf(cases: readonly CaseRecord[], at: string): CaseRecord[] {
  const day = at.slice(0, 10);
  return cases.filter((c) => c.openedOn <= day).map((c) => (c.closedOn !== null && c.closedOn > day ? { ...c, closedOn: null } : c));
}

/**
 * What a journaled decision proves of the person's cases without the repertory: an access
 * allowed under a rule that required an open case of the same institution proves that case
 * was open; a denial for want of one proves none was. Otherwise nothing (undefined).
 */
function casesProvenByLog(e: AccessLogEntry, policy: Policy, old: Policy | undefined): CaseRecord[] | undefined {
  if (!old) return undefined;
  const institution = policy.actsFor(e.institution, e.role);
  if (old.actsFor(e.institution, e.role) !== institution) return undefined;
  if (e.reason === 'NO_OPEN_CASE') return [];
  const release = old.releaseFor(e.institution, e.role, e.category);
  const conditions = release?.kind === 'legalBasis' ? release.basis.conditions : release?.kind === 'consent' ? release.conditions : [];
  if (e.decision !== 'ALLOWED' || !conditions.some((c) => c.type === 'openCase') || !e.caseReference) return undefined;
  return [{ avs: e.avs, institution, caseReference: e.caseReference, openedOn: e.at.slice(0, 10), closedOn: null }];
}

type Verdict = { allowed: true; now: string } | { allowed: false; now: string } | { undecided: true; now: string };

/** What the new policy decides for a journaled access, with the decision core's own decide() at the access's time. */
function decideNow(policy: Policy, e: AccessLogEntry, opts: ReplayOptions): Verdict {
  const requester = { institution: e.institution, role: e.role, subject: e.subject };
  const request = { purpose: e.purpose ?? undefined, caseReference: e.caseReference ?? undefined };
  const consents = opts.consentsOf?.(e.avs);
  const cases = opts.casesOf?.(e.avs) ?? casesProvenByLog(e, policy, opts.old);
  const [d] = decide([{ avs: e.avs, category: e.category }], {
    policy,
    requester,
    request,
    at: e.at,
    factsOf: () => ({ consents: consentsAsOf(consents ?? [], e.at), cases: casesAsOf(cases ?? [], e.at) }),
  });
  if (d!.allowed) return { allowed: true, now: d!.legalBasis ? `allowed under ${d!.legalBasis}` : `allowed by consent ${d!.consentId} (in force then)` };
  if (d!.reason === 'NO_OPEN_CASE' && cases === undefined) {
    // Without the repertory, the log proves only the case a request named, not that it was open.
    const institution = policy.actsFor(e.institution, e.role);
    return e.caseReference
      ? { undecided: true, now: `needs an open case: check that "${e.caseReference}" was an open case of ${institution} for this person on ${e.at.slice(0, 10)}` }
      : { undecided: true, now: `needs an open case: check that the person was an open case of ${institution} on ${e.at.slice(0, 10)}` };
  }
  if (d!.reason !== 'NO_CONSENT') return { allowed: false, now: `denied (${denialWords(d!, e, policy)})` };

  // A consent rule, and no consent in force was found: what the log itself proves first.
  const recipient = policy.consentRecipientOf(e.institution, e.role);
  const sameRecipient = opts.old !== undefined && opts.old.consentRecipientOf(e.institution, e.role) === recipient;
  if (e.decision === 'ALLOWED' && e.consentId && sameRecipient) {
    return { allowed: true, now: `allowed by consent ${e.consentId} (it released this access then)` };
  }
  if (consents) return { allowed: false, now: `denied (no consent naming ${recipient} was in force then)` };
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

/** A replayed denial's reason, in the replay's short words. */
function denialWords(d: Denied, e: AccessLogEntry, policy: Policy): string {
  switch (d.reason) {
    case 'NO_RULE':
      return policy.roleExistsAt(e.institution, e.role) ? 'no rule' : `the role ${e.role} does not exist at ${e.institution}`;
    case 'NEVER':
      return 'never, not even with consent';
    case 'NO_OPEN_CASE':
      return `no open case: ${d.condition?.unmet}`;
    default:
      return `${d.legalBasis}: ${d.condition?.unmet}`;
  }
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
  undecided: 'Past accesses that need a consent or an open case under the new policy (cannot be decided from the log)',
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
