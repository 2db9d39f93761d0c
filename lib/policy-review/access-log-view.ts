// One person's access log for the data-protection officer: chronological (oldest first), each
// access with who asked, for which category, the decision and what released it (the legal
// basis's citation or the consent), as an HTML page or an RFC 4180 CSV export.
import type { DenialReason } from '../access/decision.ts';
import type { AccessLogEntry } from '../audit/log.ts';
import { escapeHtml as h, toCsv } from './escape.ts';
import { htmlDocument, type HtmlDocument } from './html-document.ts';

/** Oldest first, by sequence number (ids are "1", "2", ...; a timestamp may repeat). */
export function chronological(entries: readonly AccessLogEntry[]): AccessLogEntry[] {
  return [...entries].sort((a, b) => Number(a.id) - Number(b.id) || a.at.localeCompare(b.at));
}

/** Why a denial was decided, in words (entries written before ciigraph 0.5 carry no reason). */
const REASON_WORDS: Record<DenialReason, string> = {
  NO_RULE: 'no rule releases it',
  NEVER: 'never released, not even with consent',
  CONDITION_UNMET: 'a condition of the legal basis was not met',
  NO_CONSENT: 'no consent in force',
  NO_OPEN_CASE: 'no open case of the requester for this person',
};

/** What released the data, or why nothing did, in words. */
export function basisOf(e: AccessLogEntry): string {
  if (e.decision === 'DENIED') {
    if (!e.reason) return 'denied';
    return `denied: ${REASON_WORDS[e.reason]}${e.condition ? ` (${e.condition})` : ''}`;
  }
  if (e.legalBasis) return e.legalBasis;
  if (e.consentId) return `consent ${e.consentId}`;
  return 'allowed, no basis recorded';
}

/** The columns of 0.4 first, so a spreadsheet built on them keeps working; then those of 0.5. */
export const CSV_COLUMNS = [
  'id', 'at', 'avs', 'institution', 'role', 'subject', 'category', 'decision', 'basis',
  'legalBasis', 'consentId', 'purpose', 'caseReference', 'subgraph', 'requestId',
  'action', 'reason', 'rule', 'condition', 'policy', 'client',
] as const;

/** The CSV export: a header row, one record per entry, oldest first. */
export function renderAccessLogCsv(entries: readonly AccessLogEntry[]): string {
  return toCsv(
    CSV_COLUMNS,
    chronological(entries).map((e) => CSV_COLUMNS.map((c) => (c === 'basis' ? basisOf(e) : e[c]))),
  );
}

export interface AccessLogHtmlOptions {
  avs: string;
  caseReference?: string | undefined;
  /** Who reads it (shown, since the reading is itself journaled). */
  readBy?: string | undefined;
  /** A link to the same log as CSV, when served. */
  csvHref?: string | undefined;
  generatedAt?: Date;
  /** Set when the log was cut at a maximum. */
  truncatedAt?: number | undefined;
}

const CSS = `
main { max-width: 1500px; }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px 24px; margin: 4px 0 14px; }
.summary div { font-size: 13px; color: var(--muted); }
.summary b { display: block; font-size: 22px; color: var(--ink); }
.summary b.period { font-size: 16px; padding-top: 5px; }
table.log td, table.log th { font-size: 13px; padding: 6px 8px; }
table.log td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.log td.id, table.log td.req { color: var(--muted); }
table.log tr.DENIED td { background: #fff8f8; }
.chip.ALLOWED { background: var(--legal-bg); color: var(--legal-ink); border-color: var(--legal-line); }
.chip.DENIED { background: var(--never-bg); color: var(--never-ink); border-color: var(--never-line); }
table.who td, table.who th { font-size: 13px; padding: 5px 8px; }
.actions a { display: inline-block; padding: 5px 12px; border: 1px solid #c5ccd6; border-radius: 5px; background: #f6f7f9; text-decoration: none; color: var(--ink); font-size: 14px; }
.note { font-size: 13px; color: var(--muted); }
`;

export function renderAccessLogHtml(entries: readonly AccessLogEntry[], opts: AccessLogHtmlOptions): HtmlDocument {
  const log = chronological(entries);
  const generatedAt = (opts.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  const allowed = log.filter((e) => e.decision === 'ALLOWED');
  const byBasis = allowed.filter((e) => e.legalBasis).length;
  const byConsent = allowed.filter((e) => !e.legalBasis && e.consentId).length;
  const first = log[0]?.at;
  const last = log.at(-1)?.at;

  // Who read what: one line per requester (institution, role, subject), in order of first access.
  const who = new Map<string, { e: AccessLogEntry; allowed: Set<string>; denied: Set<string>; count: number }>();
  for (const e of log) {
    const k = `${e.institution}|${e.role}|${e.subject}`;
    const w = who.get(k) ?? { e, allowed: new Set(), denied: new Set(), count: 0 };
    (e.decision === 'ALLOWED' ? w.allowed : w.denied).add(e.category);
    w.count++;
    who.set(k, w);
  }
  const cats = (s: Set<string>) => [...s].map((c) => `<code>${h(c)}</code>`).join(', ') || '<span class="muted">none</span>';

  const body = `
<header class="top">
  <div class="eyebrow">Access log · for the data-protection officer</div>
  <h1>Access log of <span class="mono">${h(opts.avs)}</span></h1>
  <p class="meta">${opts.caseReference ? `Case reference <b>${h(opts.caseReference)}</b> only · ` : ''}oldest first · generated ${h(generatedAt)}${opts.readBy ? ` · read by ${h(opts.readBy)} (this reading is itself journaled)` : ''}</p>
</header>
<main>
<section class="card" id="summary">
  <h2>Summary</h2>
  <div class="summary">
    <div><b data-testid="entry-count">${log.length}</b>decisions journaled</div>
    <div><b>${allowed.length}</b>allowed</div>
    <div><b>${byBasis}</b>under a legal basis</div>
    <div><b>${byConsent}</b>by consent</div>
    <div><b>${log.length - allowed.length}</b>denied</div>
    <div><b class="period">${first ? `${h(first.slice(0, 10))} – ${h(last!.slice(0, 10))}` : '–'}</b>period</div>
  </div>
  ${opts.truncatedAt ? `<p class="note"><b>Only the latest ${opts.truncatedAt} entries are shown.</b></p>` : ''}
  ${opts.csvHref ? `<p class="actions no-print"><a href="${h(opts.csvHref)}" download>Download as CSV</a></p>` : ''}
  ${
    who.size
      ? `<table class="who"><thead><tr><th>Who</th><th>Decisions</th><th>Categories released</th><th>Categories denied</th></tr></thead><tbody>${[...who.values()]
          .map((w) => `<tr><td><span class="badge inst">${h(w.e.institution)}</span> <b>${h(w.e.role)}</b> <span class="mono">${h(w.e.subject)}</span></td><td>${w.count}</td><td>${cats(w.allowed)}</td><td>${cats(w.denied)}</td></tr>`)
          .join('')}</tbody></table>`
      : ''
  }
</section>
<section class="card" id="entries">
  <h2>Every access</h2>
  <p class="lead">Each decision, allowed or denied, as journaled before any data was returned. "Released by" is the legal basis's citation or the consent's id; for a denial, why (the rule and policy version are in the tooltip and the CSV).</p>
  ${
    log.length
      ? `<table class="log"><thead><tr><th>#</th><th>When (UTC)</th><th>Who</th><th>Category</th><th>Decision</th><th>Released by, or why not</th><th>Purpose</th><th>Case reference</th><th>Decided by</th><th>Request</th></tr></thead><tbody>${log
          .map(
            (e) => `<tr class="${e.decision === 'DENIED' ? 'DENIED' : 'ALLOWED'}" data-entry="${h(e.id)}" id="entry-${h(e.id)}"><td class="id mono">${h(e.id)}</td><td class="when mono">${h(e.at.replace('T', ' ').replace(/(\.\d+)?Z$/, ''))}</td><td><span class="badge inst">${h(e.institution)}</span> ${h(e.role)} <span class="mono">${h(e.subject)}</span></td><td><code>${h(e.category)}</code></td><td><span class="chip ${e.decision === 'DENIED' ? 'DENIED' : 'ALLOWED'}">${h(e.decision.toLowerCase())}</span></td><td>${
              e.decision === 'DENIED'
                ? `<span class="reason" title="${h(e.rule === null ? '' : `rules[${e.rule}] of ${e.policy ?? 'the policy'}`)}">${h(basisOf(e))}</span>`
                : e.legalBasis ? h(e.legalBasis) : e.consentId ? `consent <span class="mono">${h(e.consentId)}</span>` : '<b>no basis recorded</b>'
            }</td><td>${h(e.purpose ?? '')}</td><td class="mono">${h(e.caseReference ?? '')}</td><td class="small">${h(e.subgraph)}</td><td class="req mono small" title="${h(e.requestId)}">${h(e.requestId.slice(0, 8))}</td></tr>`,
          )
          .join('\n')}</tbody></table>`
      : '<p class="muted">No access to this person\'s data has been journaled.</p>'
  }
</section>
</main>
<footer>The access log is a hash chain: <code>npm run audit:verify</code> checks that no entry was deleted, altered or inserted.</footer>`;
  return htmlDocument({ title: `Access log of ${opts.avs}`, css: CSS, body });
}
