// GET /policy/notifications: for the data-protection officer, each event rule in words (what
// it notices, the category its events are data of, from which institution), how deliveries are
// decided (the policy's notifications section), and what each rule delivered to whom and was
// refused, counted since the store began. No person's data: counts only.
import type { Policy } from '../access/policy.ts';
import type { NotificationStore, Tally } from '../notifications/store.ts';
import { EVENT_RULES, type EventRule } from '../notifications/rules/index.ts';
import { INSTITUTIONS } from '../schema/catalogue.ts';
import { escapeHtml as h } from './escape.ts';
import { BASE_CSS, htmlDocument } from './html-document.ts';
import type { DpoRouteHandler } from './routes.ts';

export function renderNotificationsHtml(policy: Policy, tallies: readonly Tally[], rules: readonly EventRule[] = EVENT_RULES): string {
  const n = policy.notifications;
  const roles = INSTITUTIONS.map((i) => `<li>${h(i)}: ${n.deliveredAs[i] ? `decided as <code>${h(n.deliveredAs[i])}</code>` : 'receives none'}</li>`).join('');
  const sections = rules
    .map((r) => {
      const sources = Object.entries(r.sources)
        .map(([i, c]) => `<li>from ${h(i)}: data of <code>${h(c)}</code></li>`)
        .join('');
      const mine = tallies.filter((t) => t.rule === r.id);
      const rows = INSTITUTIONS.map((i) => {
        const t = mine.find((x) => x.recipient === i);
        return `<tr><td>${h(i)}</td><td>${t?.delivered ?? 0}</td><td>${t?.refused ?? 0}</td></tr>`;
      }).join('');
      return `<section class="card" id="rule-${h(r.id)}"><h2>${h(r.id)}</h2><p>${h(r.description)}</p><ul>${sources}</ul>
<table><thead><tr><th>to</th><th>delivered</th><th>refused by the policy</th></tr></thead><tbody>${rows}</tbody></table></section>`;
    })
    .join('\n');
  const body = `<header class="top"><h1>Notifications: event rules and what they delivered</h1></header>
<main>
<section class="card"><h2>How a delivery is decided</h2>
<p>An event is considered only for institutions with an open case for the person (other than the institution whose file changed).
For each, the event's category is decided as for a read by the role below, for the purpose <code>${h(n.purpose || '(none: nothing is delivered)')}</code>, under that institution's open case.
Every decision, delivered or refused, is journaled in the access log as <code>NOTIFICATION_DELIVERED</code>. A person with no open case elsewhere produces no decision and no entry.</p>
<ul>${roles}</ul></section>
${sections}
</main>
<footer><p>Policy: ${h(policy.name)} ${h(policy.version)}. Rules: lib/notifications/rules/. Counts since the notification store began.</p></footer>`;
  return htmlDocument({ title: 'ciigraph: notifications', css: BASE_CSS, body }).html;
}

/** The page, read fresh at each request (the counts move). */
export function createNotificationsPageRoute(policy: Policy, store: NotificationStore): DpoRouteHandler {
  return async (_req, res) => {
    const html = renderNotificationsHtml(policy, await store.tallies());
    const body = Buffer.from(html, 'utf8');
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(body.length),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    res.end(body);
  };
}
