// The policy review as Markdown: the same model as the HTML page, for a review by diff in a
// merge request or an attachment to the DPO's register of processing activities.
import { basename } from 'node:path';
import { escapeMarkdown as md } from './escape.ts';
import { groupLabel, joinAnd, mustWords, type Cell, type PolicyReview } from './model.ts';

function shortCell(cell: Cell): string {
  switch (cell.kind) {
    case 'legalBasis':
      return md(cell.citation);
    case 'consent':
      return `${cell.recipient === 'own' ? 'consent' : `consent naming ${md(cell.recipient)}`}${cell.conditionLabels.length ? ` (${md(cell.conditionLabels.join(', '))})` : ''}`;
    case 'never':
      return '**never**';
    case 'none':
      return '–';
  }
}

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

export function renderPolicyMarkdown(review: PolicyReview, opts: { generatedAt?: Date; fileLabel?: string } = {}): string {
  const out: string[] = [];
  const generatedAt = (opts.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const catById = new Map(review.categories.map((c) => [c.id, c]));
  const catLabel = (id: string) => {
    const c = catById.get(id);
    const tags = [c?.sensitive ? 'sensitive' : '', c?.confinedTo ? `stays at ${c.confinedTo}` : ''].filter(Boolean);
    return `\`${id}\`${tags.length ? ` (${md(tags.join(', '))})` : ''}`;
  };

  out.push(`# Access policy review: ${md(review.policy.name)}`, '');
  out.push(`Version **${md(review.policy.version)}** · policy file ${md(opts.fileLabel ?? basename(review.policy.file))} · generated ${generatedAt}`, '');
  out.push(
    'For each requester (an institution and a role) the policy maps each data category to a legal basis, to the person\'s consent, or to *never*. ' +
      'A category a rule does not name is denied (–): no rule, no data. Every decision is written to the access log with the legal basis or the consent that released the data.',
    '',
  );
  if (review.warnings.length) out.push('## Points to check', '', ...review.warnings.map((w) => `- ${md(w)}`), '');

  out.push('## Who may read what', '');
  out.push(
    table(
      ['Category', ...review.groups.map((g) => md(groupLabel(g)))],
      review.categories.map((c) => [catLabel(c.id), ...review.groups.map((g) => shortCell(g.cells[c.id] ?? { kind: 'none' }))]),
    ),
    '',
  );

  out.push('## Every rule, by requester', '');
  for (const g of review.groups) {
    out.push(`### ${md(groupLabel(g))}`, '', md(g.roleDescription), '');
    const named = review.categories.filter((c) => g.cells[c.id]?.kind !== 'none');
    if (named.length === 0) {
      out.push('No rule: every category is denied.', '');
      continue;
    }
    out.push(
      table(
        ['Category', 'Released', 'The request must', 'In file'],
        named.map((c) => {
          const cell = g.cells[c.id]!;
          return [catLabel(c.id), shortCell(cell), md(mustWords(cell, g.institutions)), cell.kind === 'none' ? '' : `rules[${cell.rule}]`];
        }),
      ),
      '',
    );
    const denied = review.categories.filter((c) => g.cells[c.id]?.kind === 'none').map((c) => `\`${c.id}\``);
    if (denied.length) out.push(`No rule (denied): ${denied.join(', ')}.`, '');
  }

  out.push('## Legal bases', '');
  const groupByKey = new Map(review.groups.map((g) => [g.key, g]));
  for (const b of review.legalBases) {
    out.push(`### ${md(b.citation)} (\`${b.id}\`)`, '', md(b.summary), '');
    out.push(b.conditions.length ? `The request must: ${b.conditions.map((c) => md(c.description)).join('; ')}.` : 'No condition on the request.', '');
    const byGroup = new Map<string, string[]>();
    for (const u of b.usedBy) byGroup.set(u.group, [...(byGroup.get(u.group) ?? []), `\`${u.category}\``]);
    out.push(byGroup.size ? `Releases: ${[...byGroup].map(([k, cats]) => `${md(groupLabel(groupByKey.get(k)!))}: ${cats.join(', ')}`).join('; ')}.` : '**Used by no rule.**', '');
  }

  out.push('## Data categories and their fields', '');
  for (const c of review.categories) {
    out.push(`### \`${c.id}\` (held by ${c.institution}${c.sensitive ? ', sensitive' : ''}${c.confinedTo ? `, stays at ${c.confinedTo}` : ''})`, '', md(c.description), '');
    const fields = review.fields.filter((f) => f.category === c.id);
    out.push(
      fields.length
        ? table(['Field', 'Type', 'Description'], fields.map((f) => [`\`${f.coordinate}\``, `\`${f.returnType}\``, md(f.description ?? '')]))
        : '**No field of the supergraph carries this category.**',
      '',
    );
  }

  out.push('## Roles', '');
  out.push(
    table(
      ['Role', 'At', 'A consent must name', 'May', 'Description'],
      review.roles.map((r) => [
        `\`${r.id}\``,
        r.institutions.join(', '),
        r.consentRecipient === 'own' ? 'its own institution' : r.consentRecipient,
        r.permissions.length ? r.permissions.map((p) => `\`${p}\``).join(', ') : 'no action',
        md(r.description),
      ]),
    ),
    '',
  );
  if (review.actions.length) {
    out.push('## Actions', '');
    out.push(
      table(['Action', 'Permission', 'Roles that hold it'], review.actions.map((a) => [`\`${a.coordinate}\``, `\`${a.permission}\``, a.roles.length ? md(joinAnd(a.roles)) : 'nobody'])),
      '',
    );
  }
  out.push('## Purposes', '');
  out.push(table(['Code', 'Description'], review.purposes.map((p) => [`\`${p.code}\``, md(p.description)])), '');
  return out.join('\n');
}
