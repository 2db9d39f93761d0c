// The fishing signals page for the DPO: per requester and day, what looks like looking people
// up, each signal linked to the access-log entries that show it (each person's log page, at the
// entry). HTML for reading, JSON for a case tracker.
import type { AccessLogEntry } from '../audit/log.ts';
import type { FishingReport, FishingSignal } from '../supervision/fishing.ts';
import { SIGNAL_RULES } from '../supervision/signals/index.ts';
import { escapeHtml as h } from './escape.ts';
import { htmlDocument, type HtmlDocument } from './html-document.ts';

/** Persons linked per signal on the page; the JSON carries every entry. */
const LINKED_PERSONS = 25;

/** Each person an entry list concerns, with the entry to open their log at. */
function personsOf(entries: readonly AccessLogEntry[]): { avs: string; firstEntry: string; count: number }[] {
  const by = new Map<string, { avs: string; firstEntry: string; count: number }>();
  for (const e of entries) {
    const p = by.get(e.avs);
    if (p) p.count++;
    else by.set(e.avs, { avs: e.avs, firstEntry: e.id, count: 1 });
  }
  return [...by.values()];
}

export const accessLogHref = (avs: string, entryId: string) => `/policy/access-log?${new URLSearchParams({ avs })}#entry-${encodeURIComponent(entryId)}`;

export function signalsJson(report: FishingReport): string {
  return JSON.stringify({
    from: report.from,
    to: report.to,
    thresholds: report.thresholds,
    requesterDays: report.requesterDays,
    signals: report.signals.map((s) => ({ ...s, entries: s.entries.map((e) => ({ id: e.id, at: e.at, avs: e.avs, category: e.category, decision: e.decision, href: accessLogHref(e.avs, e.id) })) })),
  });
}

const CSS = `
table.signals td { font-size: 14px; }
td.links a { margin-right: 8px; white-space: nowrap; }
.rule { font-weight: 600; }
`;

function row(s: FishingSignal): string {
  const persons = personsOf(s.entries);
  const links = persons
    .slice(0, LINKED_PERSONS)
    .map((p) => `<a href="${h(accessLogHref(p.avs, p.firstEntry))}" class="mono">${h(p.avs)}</a>${p.count > 1 ? ` <span class="muted">(${p.count})</span>` : ''}`)
    .join(' ');
  const more = persons.length > LINKED_PERSONS ? ` <span class="muted">and ${persons.length - LINKED_PERSONS} more (JSON)</span>` : '';
  return `<tr data-signal="${h(s.rule)}" data-subject="${h(s.subject)}"><td class="mono">${h(s.day)}</td><td><span class="badge inst">${h(s.institution)}</span> ${h(s.role)} <span class="mono">${h(s.subject)}</span></td><td class="rule">${h(s.rule)}</td><td>${h(s.message)}</td><td class="links">${links}${more}</td></tr>`;
}

export function renderSignalsHtml(report: FishingReport, opts: { readBy: string; generatedAt: Date; policy: string }): HtmlDocument {
  const t = report.thresholds;
  const body = `
<header class="top">
  <div class="eyebrow">Fishing signals · for the data-protection officer</div>
  <h1>Requester-days worth a look, ${h(report.from)} – ${h(report.to)}</h1>
  <p class="meta">${report.requesterDays} requester-days looked at · thresholds of ${h(opts.policy)} · generated ${h(opts.generatedAt.toISOString().replace('T', ' ').slice(0, 19))} UTC · read by ${h(opts.readBy)} (this reading is itself journaled)</p>
  <nav><a href="/policy">Policy</a></nav>
</header>
<main>
<section class="card" id="rules">
  <h2>What is flagged</h2>
  <p class="lead">Computed from the access log alone, per requester (institution, role, account) and day. A signal is a reason to look, not a finding: a caseload handed over or a day of consent interviews can look the same.</p>
  <ul>${[...SIGNAL_RULES.values()].map((r) => `<li><b>${h(r.id)}</b>: ${h(r.describe(t))}.</li>`).join('')}</ul>
</section>
<section class="card" id="signals">
  <h2>Signals</h2>
  ${
    report.signals.length
      ? `<table class="signals"><thead><tr><th>Day</th><th>Who</th><th>Signal</th><th>What was seen</th><th>The entries, per person</th></tr></thead><tbody>${report.signals.map(row).join('\n')}</tbody></table>`
      : '<p data-testid="no-signals">No requester-day of the period reaches a threshold.</p>'
  }
</section>
</main>`;
  return htmlDocument({ title: `Fishing signals ${report.from} – ${report.to}`, css: CSS, body });
}
