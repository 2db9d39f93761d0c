// The policy review as one self-contained HTML page for the data-protection officer: who may
// read which category under which rule (a matrix and every rule in full), the legal bases
// with their conditions, the categories with the fields they cover, roles, actions and
// purposes. Filters by requester institution, role, category and sensitivity run in an
// inline script over data-* attributes; every string from the policy, the catalogue or the
// SDL is escaped.
import { basename } from 'node:path';
import { escapeHtml as h } from './escape.ts';
import { htmlDocument, type HtmlDocument } from './html-document.ts';
import { cellWords, groupLabel, joinAnd, mustWords, type Cell, type PolicyReview, type RequesterGroup, type ReviewCategory } from './model.ts';

export interface PolicyHtmlOptions {
  /** Shown in the header; default: now. */
  generatedAt?: Date;
  /** How the file is named on the page; default its base name (a server path is nobody's business). */
  fileLabel?: string;
}

const CSS = `
.filters { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,.97); border-bottom: 1px solid var(--line); padding: 10px 32px; display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: end; box-shadow: 0 2px 6px rgba(20,30,50,.05); }
.filters label { display: flex; flex-direction: column; font-size: 12px; font-weight: 600; color: var(--muted); gap: 3px; }
.filters label.check { flex-direction: row; align-items: center; gap: 6px; font-size: 14px; color: var(--ink); font-weight: 500; padding-bottom: 6px; }
.filters select { font: inherit; font-size: 14px; padding: 5px 8px; border: 1px solid #c5ccd6; border-radius: 5px; background: #fff; color: var(--ink); min-width: 150px; }
.filters button { font: inherit; font-size: 14px; padding: 5px 12px; border: 1px solid #c5ccd6; border-radius: 5px; background: #f6f7f9; cursor: pointer; }
.filters output { font-size: 13px; color: var(--muted); padding-bottom: 7px; margin-left: auto; }
.intro { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 10px 40px; align-items: start; }
.facts { display: grid; grid-template-columns: repeat(3, auto); gap: 10px 28px; margin: 4px 0 0; }
@media (max-width: 900px) { .intro { grid-template-columns: 1fr; } }
.facts div { font-size: 13px; color: var(--muted); }
.facts b { display: block; font-size: 22px; color: var(--ink); }
.legend { display: flex; flex-wrap: wrap; gap: 8px 22px; font-size: 13px; align-items: center; }
.intro h2 { margin: 0 0 4px; font-size: 19px; }
.intro .lead { margin-bottom: 12px; }
.intro .legend { display: grid; grid-template-columns: repeat(2, max-content); gap: 8px 28px; }
@media (max-width: 1100px) { .intro .legend { grid-template-columns: 1fr; } }
.legend span.chip { margin-right: 6px; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table.matrix { border-collapse: separate; border-spacing: 0; width: auto; min-width: 100%; }
table.matrix th, table.matrix td { border-bottom: 1px solid var(--line); border-right: 1px solid #edf0f3; }
table.matrix thead th { position: sticky; top: 0; text-transform: none; letter-spacing: 0; font-size: 13px; color: var(--ink); vertical-align: bottom; min-width: 128px; max-width: 170px; }
table.matrix thead th .insts { display: block; margin-bottom: 4px; }
table.matrix thead th .role { font-weight: 700; }
table.matrix tbody th { background: #fff; min-width: 250px; max-width: 330px; font-weight: 400; position: sticky; left: 0; z-index: 1; border-right: 1px solid var(--line); }
table.matrix tbody th code { font-weight: 700; font-size: 13.5px; }
table.matrix tbody th .desc { display: block; color: var(--muted); font-size: 12px; line-height: 1.35; margin-top: 2px; }
table.matrix tr.owner-start th, table.matrix tr.owner-start td { border-top: 2px solid #c9d0da; }
td.cell { font-size: 12.5px; line-height: 1.3; }
td.cell .what { font-weight: 700; display: block; }
td.cell .if { display: block; font-size: 11.5px; margin-top: 2px; opacity: .85; }
td.cell.legalBasis { background: var(--legal-bg); color: var(--legal-ink); }
td.cell.consent { background: var(--consent-bg); color: var(--consent-ink); }
td.cell.never { background: var(--never-bg); color: var(--never-ink); }
td.cell.none { color: var(--none-ink); background: repeating-linear-gradient(135deg, #fff, #fff 6px, #f6f7f9 6px, #f6f7f9 12px); }
table.rules td:first-child { white-space: nowrap; }
table.rules tr.empty td, .empty-note { color: var(--muted); font-style: italic; text-align: center; padding: 16px; }
.count { font-size: 13px; color: var(--muted); margin: 0 0 8px; }
.bases { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.basis { border: 1px solid var(--line); border-left: 4px solid var(--legal-line); border-radius: 6px; padding: 10px 14px; }
.basis h3 { margin: 0; font-size: 16px; }
.basis .id { font-size: 12px; color: var(--muted); }
.basis p { margin: 6px 0; }
.basis ul { margin: 4px 0 6px; padding-left: 18px; }
.basis .used { font-size: 12.5px; color: var(--muted); border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 8px; }
.basis .used ul { margin: 2px 0 0; padding-left: 16px; }
.basis .used b { color: var(--ink); font-weight: 600; }
#roles td:first-child { white-space: nowrap; }
.category { border-top: 1px solid var(--line); padding: 12px 0 6px; }
.category:first-of-type { border-top: 0; }
.category h3 { margin: 0 0 2px; font-size: 15px; }
.category p { margin: 2px 0 8px; color: var(--muted); max-width: 90ch; }
.category table td, .category table th { padding: 4px 10px; font-size: 13px; }
.category td.inherited code { color: var(--muted); }
.warnings { border-color: #efb3b8; background: #fff8f8; }
`;

const SCRIPT = `(() => {
  const byId = (id) => document.getElementById(id);
  const controls = { institution: byId('f-institution'), role: byId('f-role'), category: byId('f-category'), sensitive: byId('f-sensitive') };
  const current = () => ({ institution: controls.institution.value, role: controls.role.value, category: controls.category.value, sensitive: controls.sensitive.checked });
  // An element is filtered only on the dimensions it carries a data-* attribute for.
  const matches = (el, v) => {
    const d = el.dataset;
    if (v.institution && d.institutions !== undefined && !d.institutions.split(' ').includes(v.institution)) return false;
    if (v.role && d.role !== undefined && d.role !== v.role) return false;
    if (v.category && d.category !== undefined && d.category !== v.category) return false;
    if (v.sensitive && d.sensitive !== undefined && d.sensitive !== 'true') return false;
    return true;
  };
  const visible = (selector) => Array.from(document.querySelectorAll(selector)).filter((el) => !el.hidden).length;
  const total = (selector) => document.querySelectorAll(selector).length;
  function apply() {
    const v = current();
    document.querySelectorAll('[data-filter]').forEach((el) => { el.hidden = !matches(el, v); });
    const counts = {
      groups: [visible('#matrix thead th[data-filter]'), total('#matrix thead th[data-filter]')],
      categories: [visible('#matrix tbody tr[data-filter]'), total('#matrix tbody tr[data-filter]')],
      rules: [visible('#rules tbody tr[data-filter]'), total('#rules tbody tr[data-filter]')],
      fields: [visible('#categories tr[data-filter]'), total('#categories tr[data-filter]')],
    };
    document.querySelectorAll('[data-count]').forEach((el) => {
      const [shown, all] = counts[el.dataset.count];
      el.textContent = shown + ' of ' + all;
    });
    byId('matrix-empty').hidden = counts.groups[0] > 0 && counts.categories[0] > 0;
    byId('rules-empty').hidden = counts.rules[0] > 0;
    const state = new URLSearchParams();
    for (const [k, val] of Object.entries(v)) if (val) state.set(k, val === true ? '1' : val);
    try { history.replaceState(null, '', state.toString() ? '#' + state.toString() : location.pathname + location.search); } catch (e) { /* file:// in some browsers */ }
  }
  function restore() {
    const state = new URLSearchParams(location.hash.slice(1));
    for (const k of ['institution', 'role', 'category']) {
      const val = state.get(k);
      if (val && Array.from(controls[k].options).some((o) => o.value === val)) controls[k].value = val;
    }
    controls.sensitive.checked = state.get('sensitive') === '1';
  }
  for (const el of Object.values(controls)) el.addEventListener('change', apply);
  byId('f-reset').addEventListener('click', () => {
    controls.institution.value = ''; controls.role.value = ''; controls.category.value = ''; controls.sensitive.checked = false;
    apply();
  });
  restore();
  apply();
  document.documentElement.dataset.ready = 'true';
})();`;

const attrs = (a: Record<string, string | boolean | undefined>): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${h(v)}"`))
    .join('');

const groupAttrs = (g: RequesterGroup) => ({ 'data-institutions': g.institutions.join(' '), 'data-role': g.role });

function categoryBadges(c: ReviewCategory): string {
  return [
    c.sensitive ? '<span class="badge sensitive" title="Sensitive personal data (nDSG art. 5)">sensitive</span>' : '',
    c.confinedTo ? `<span class="badge confined" title="Never leaves ${h(c.confinedTo)}, consent or not">stays at ${h(c.confinedTo)}</span>` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** The matrix cell: the rule in one or two lines, its full wording in the tooltip. */
function matrixCell(cell: Cell, g: RequesterGroup, c: ReviewCategory): string {
  const title = `${groupLabel(g)} → ${c.id}: ${cellWords(cell)}`;
  let inner: string;
  switch (cell.kind) {
    case 'legalBasis':
      inner = `<span class="what">${h(cell.citation)}</span>${cell.conditionLabels.length ? `<span class="if">if ${h(cell.conditionLabels.join(' · '))}</span>` : ''}`;
      break;
    case 'consent':
      inner = `<span class="what">consent</span>${cell.recipient !== 'own' ? `<span class="if">naming ${h(cell.recipient)}</span>` : ''}${cell.conditionLabels.length ? `<span class="if">if ${h(cell.conditionLabels.join(' · '))}</span>` : ''}`;
      break;
    case 'never':
      inner = '<span class="what">never</span>';
      break;
    case 'none':
      inner = '<span class="what">no rule</span>';
  }
  return `<td${attrs({ class: `cell ${cell.kind}`, 'data-filter': true, ...groupAttrs(g), 'data-kind': cell.kind, 'data-cell': `${g.key}|${c.id}`, title })}>${inner}</td>`;
}

function institutionTags(g: RequesterGroup): string {
  return g.everywhere
    ? '<span class="badge inst" title="the same rule at every institution where the role exists">every institution</span>'
    : g.institutions.map((i) => `<span class="badge inst">${h(i)}</span>`).join(' ');
}

function releaseChip(cell: Cell): string {
  switch (cell.kind) {
    case 'legalBasis':
      return `<span class="chip legalBasis">${h(cell.citation)}</span>`;
    case 'consent':
      return `<span class="chip consent">consent${cell.recipient !== 'own' ? ` naming ${h(cell.recipient)}` : ''}</span>`;
    case 'never':
      return '<span class="chip never">never</span>';
    case 'none':
      return '<span class="chip none">no rule</span>';
  }
}

function conditionsCell(cell: Cell, g: RequesterGroup): string {
  const words = mustWords(cell, g.institutions);
  return cell.kind === 'legalBasis' && cell.must ? h(words) : `<span class="muted">${h(words)}</span>`;
}

export function renderPolicyHtml(review: PolicyReview, opts: PolicyHtmlOptions = {}): HtmlDocument {
  const generatedAt = (opts.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const fileLabel = opts.fileLabel ?? basename(review.policy.file);
  const rulesTotal = review.groups.reduce((n, g) => n + review.categories.filter((c) => g.cells[c.id]?.kind !== 'none').length, 0);
  const sensitiveCount = review.categories.filter((c) => c.sensitive).length;
  const owners = [...new Set(review.categories.map((c) => c.institution))];

  const filters = `
<form class="filters no-print" id="filters" role="search" aria-label="Filter the policy">
  <label>Requester's institution
    <select id="f-institution"><option value="">All institutions</option>${review.institutions.map((i) => `<option value="${h(i)}">${h(i)}</option>`).join('')}</select></label>
  <label>Role
    <select id="f-role"><option value="">All roles</option>${review.roles.map((r) => `<option value="${h(r.id)}">${h(r.id)}</option>`).join('')}</select></label>
  <label>Data category
    <select id="f-category"><option value="">All categories</option>${owners
      .map((o) => `<optgroup label="${h(o)} data">${review.categories.filter((c) => c.institution === o).map((c) => `<option value="${h(c.id)}">${h(c.id)}${c.sensitive ? ' (sensitive)' : ''}</option>`).join('')}</optgroup>`)
      .join('')}</select></label>
  <label class="check"><input type="checkbox" id="f-sensitive"> Sensitive data only</label>
  <button type="button" id="f-reset">Show all</button>
  <output id="f-summary" aria-live="polite">Requesters <b data-count="groups">${review.groups.length} of ${review.groups.length}</b> · categories <b data-count="categories">${review.categories.length} of ${review.categories.length}</b> · rules <b data-count="rules">${rulesTotal} of ${rulesTotal}</b></output>
</form>`;

  const intro = `
<section class="card intro" id="overview">
  <div>
    <h2>How to read this page</h2>
    <p class="lead">Every field that carries personal data belongs to one data category. For each requester (an institution and a role) the policy maps each category to a legal basis, to the person's consent, or to <i>never</i>. A category no rule names is denied: no rule, no data. Every decision, allowed or denied, is written to the access log with the legal basis or the consent that released the data.</p>
    <div class="legend">
      <span><span class="chip legalBasis">LPGA art. 32</span>under this legal basis, if the request meets its conditions</span>
      <span><span class="chip consent">consent</span>only with the person's signed consent for this category and purpose</span>
      <span><span class="chip never">never</span>not even with consent</span>
      <span><span class="chip none">no rule</span>denied</span>
    </div>
  </div>
  <div class="facts">
    <div><b>${review.categories.length}</b>data categories</div>
    <div><b>${sensitiveCount}</b>sensitive (nDSG art. 5)</div>
    <div><b>${review.fields.length}</b>personal-data fields</div>
    <div><b>${review.roles.length}</b>roles</div>
    <div><b>${review.legalBases.length}</b>legal bases</div>
    <div><b>${review.purposes.length}</b>purposes</div>
  </div>
</section>`;

  const matrix = `
<section class="card" id="matrix">
  <h2>Who may read what</h2>
  <p class="lead">Rows: data categories, grouped by the institution that holds them. Columns: requesters. A role with the same rule at every institution where it exists is shown once. Hover a cell for the rule in words; every rule is listed in full below.</p>
  <div class="scroll">
  <table class="matrix">
    <thead><tr><th scope="col">Data category</th>${review.groups
      .map((g) => `<th scope="col"${attrs({ 'data-filter': true, ...groupAttrs(g), 'data-group': g.key, title: g.roleDescription })}><span class="insts">${institutionTags(g)}</span><span class="role">${h(g.role)}</span></th>`)
      .join('')}</tr></thead>
    <tbody>${review.categories
      .map((c, i) => {
        const ownerStart = i > 0 && review.categories[i - 1]!.institution !== c.institution;
        return `<tr${attrs({ class: ownerStart ? 'owner-start' : undefined, 'data-filter': true, 'data-category': c.id, 'data-sensitive': String(c.sensitive) })}><th scope="row"><code>${h(c.id)}</code> ${categoryBadges(c)}<span class="desc">${h(c.description)}</span></th>${review.groups
          .map((g) => matrixCell(g.cells[c.id] ?? { kind: 'none' }, g, c))
          .join('')}</tr>`;
      })
      .join('\n')}</tbody>
  </table>
  </div>
  <p class="empty-note" id="matrix-empty" hidden>No requester or category matches the filters.</p>
</section>`;

  const ruleRows = review.groups.flatMap((g) =>
    review.categories
      .filter((c) => g.cells[c.id]?.kind !== 'none')
      .map((c) => {
        const cell = g.cells[c.id]!;
        return `<tr${attrs({ 'data-filter': true, ...groupAttrs(g), 'data-category': c.id, 'data-sensitive': String(c.sensitive), 'data-kind': cell.kind })}>
<td>${institutionTags(g)} <b>${h(g.role)}</b></td>
<td><code>${h(c.id)}</code> ${categoryBadges(c)}</td>
<td>${releaseChip(cell)}</td>
<td class="cond">${conditionsCell(cell, g)}</td>
<td class="mono small">${cell.kind === 'none' ? '' : `rules[${cell.rule}]`}</td></tr>`;
      }),
  );
  const rules = `
<section class="card" id="rules">
  <h2>Every rule</h2>
  <p class="lead">One line per requester and category that a rule names, with what the request must meet. "rules[n]" is the rule's position in the policy file.</p>
  <p class="count"><span data-count="rules">${rulesTotal} of ${rulesTotal}</span> rules shown</p>
  <table class="rules">
    <thead><tr><th>Requester</th><th>Data category</th><th>Released</th><th>The request must</th><th>In file</th></tr></thead>
    <tbody>${ruleRows.join('\n')}
    <tr class="empty" id="rules-empty" hidden><td colspan="5">No rule matches the filters.</td></tr></tbody>
  </table>
</section>`;

  const groupByKey = new Map(review.groups.map((g) => [g.key, g]));
  const bases = `
<section class="card" id="legal-bases">
  <h2>Legal bases</h2>
  <p class="lead">The citation is what the access log records for every access a basis released.</p>
  <div class="bases">${review.legalBases
    .map((b) => {
      const byGroup = new Map<string, string[]>();
      for (const u of b.usedBy) byGroup.set(u.group, [...(byGroup.get(u.group) ?? []), u.category]);
      const used = [...byGroup].map(([k, cats]) => `<li><b>${h(groupLabel(groupByKey.get(k)!))}</b>: ${cats.map((c) => `<code>${h(c)}</code>`).join(', ')}</li>`);
      return `<div class="basis" id="basis-${h(b.id)}"><h3>${h(b.citation)}</h3><div class="id">id <code>${h(b.id)}</code></div><p>${h(b.summary)}</p>${
        b.conditions.length
          ? `<div class="small"><b>The request must:</b><ul>${b.conditions.map((c) => `<li>${h(c.description)}</li>`).join('')}</ul></div>`
          : '<div class="small muted">No condition on the request.</div>'
      }<div class="used">${used.length ? `Releases to:<ul>${used.join('')}</ul>` : '<b>Used by no rule.</b>'}</div></div>`;
    })
    .join('\n')}</div>
</section>`;

  const categories = `
<section class="card" id="categories">
  <h2>Data categories and their fields</h2>
  <p class="lead">Every field of the composed supergraph that carries personal data, by category (<span data-count="fields">${review.fields.length} of ${review.fields.length}</span> fields shown). A field in grey belongs to the category of the field above it in the graph.</p>
  ${review.categories
    .map(
      (c) => `<div${attrs({ class: 'category', 'data-filter': true, 'data-category': c.id, 'data-sensitive': String(c.sensitive) })}>
<h3><code>${h(c.id)}</code> <span class="badge inst">held by ${h(c.institution)}</span> ${categoryBadges(c)}</h3>
<p>${h(c.description)}</p>
${
  c.fields.length
    ? `<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${c.fields
        .map((coord) => review.fields.find((f) => f.coordinate === coord)!)
        .map(
          (f) =>
            `<tr${attrs({ 'data-filter': true, 'data-category': c.id, 'data-sensitive': String(c.sensitive), 'data-field': f.coordinate })}><td class="${f.declared ? '' : 'inherited'}"><code>${h(f.coordinate)}</code></td><td><code>${h(f.returnType)}</code></td><td class="small">${h(f.description ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="muted"><b>No field of the supergraph carries this category.</b></p>'
}</div>`,
    )
    .join('\n')}
</section>`;

  const roles = `
<section class="card" id="roles">
  <h2>Roles</h2>
  <table><thead><tr><th>Role</th><th>At</th><th>A consent must name</th><th>May</th><th>Description</th></tr></thead><tbody>${review.roles
    .map(
      (r) =>
        `<tr${attrs({ 'data-filter': true, 'data-role': r.id, 'data-institutions': r.institutions.join(' ') })}><td><b>${h(r.id)}</b></td><td>${r.institutions.map((i) => `<span class="badge inst">${h(i)}</span>`).join(' ')}</td><td>${
          r.consentRecipient === 'own' ? 'its own institution' : h(r.consentRecipient)
        }</td><td>${r.permissions.length ? r.permissions.map((p) => `<code>${h(p)}</code>`).join(', ') : '<span class="muted">no action</span>'}</td><td class="small">${h(r.description)}</td></tr>`,
    )
    .join('')}</tbody></table>
  ${
    review.actions.length
      ? `<h3 class="small" style="margin:16px 0 4px">Actions</h3><table><thead><tr><th>Action</th><th>Permission</th><th>Roles that hold it</th><th>Description</th></tr></thead><tbody>${review.actions
          .map((a) => `<tr><td><code>${h(a.coordinate)}</code></td><td><code>${h(a.permission)}</code></td><td>${a.roles.length ? h(joinAnd(a.roles)) : '<span class="muted">nobody</span>'}</td><td class="small">${h(a.description ?? '')}</td></tr>`)
          .join('')}</tbody></table>`
      : ''
  }
</section>`;

  const purposes = `
<section class="card" id="purposes">
  <h2>Purposes</h2>
  <p class="lead">A request states one of these (X-Purpose, or the token's purpose); any other is refused. Consents and some legal bases name them.</p>
  <table><thead><tr><th>Code</th><th>Description</th></tr></thead><tbody>${review.purposes.map((p) => `<tr><td><code>${h(p.code)}</code></td><td>${h(p.description)}</td></tr>`).join('')}</tbody></table>
</section>`;

  const signals = `
<section class="card" id="fishing-signals">
  <h2>Fishing signals</h2>
  <p class="lead">The requester-days the <a href="/policy/signals">signals page</a> flags, computed from the access log with this policy's thresholds.</p>
  <ul>${review.fishingSignals.map((s) => `<li><b>${h(s.rule)}</b>: ${h(s.description)}.</li>`).join('')}</ul>
</section>`;

  const warnings = review.warnings.length
    ? `<section class="card warnings" id="warnings"><h2>Points to check</h2><ul>${review.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul></section>`
    : '';

  const body = `
<header class="top">
  <div class="eyebrow">Access policy review · for the data-protection officer</div>
  <h1>${h(review.policy.name)}</h1>
  <p class="meta">Version <b>${h(review.policy.version)}</b> · policy file <code>${h(fileLabel)}</code> · generated ${h(generatedAt)} · read-only</p>
  <nav class="no-print"><a href="#matrix">Who may read what</a><a href="#rules">Every rule</a><a href="#legal-bases">Legal bases</a><a href="#categories">Categories and fields</a><a href="#roles">Roles</a><a href="#purposes">Purposes</a><a href="#fishing-signals">Fishing signals</a>${warnings ? '<a href="#warnings">Points to check</a>' : ''}</nav>
</header>
${filters}
<main>
${warnings}
${intro}
${matrix}
${rules}
${bases}
${categories}
${roles}
${purposes}
${signals}
</main>
<footer>Generated from the policy file, the category catalogue and the composed supergraph of ciigraph. To change a rule, edit a copy of the policy file and start the stack with <code>POLICY_FILE</code>; <code>npm run policy:diff</code> says what a change does before it is made.</footer>`;

  return htmlDocument({ title: `Access policy review: ${review.policy.name} (${review.policy.version})`, css: CSS, body, script: SCRIPT });
}
