// What changes between two policies, for whom, in the words a data-protection officer reads:
// "AI case-managers gain ac.entitlement under LACI art. 85f (was consent)". Both policies are
// validated against the same catalogue and compared cell by cell (institution × role ×
// category), then grouped so that one change to a "*" rule reads as one sentence.
import { INSTITUTIONS, type CategoryCatalogue, type Institution } from '../schema/catalogue.ts';
import type { BoundCondition, Policy } from '../access/policy.ts';
import { cellFor, conditionsMust, joinAnd, sameCell, type Cell } from './model.ts';

export type AccessEffect = 'gain' | 'lose' | 'change' | 'none';

export interface AccessChange {
  role: string;
  institutions: Institution[];
  /** The group is every institution where the role exists (in the new policy). */
  everywhere: boolean;
  categories: string[];
  /** gain: more access than before; lose: less; change: another rule, same reach; none: still denied. */
  effect: AccessEffect;
  from: Cell;
  to: Cell;
  sentence: string;
}

export interface LegalBasisChange {
  id: string;
  citation?: { from: string; to: string };
  summary?: { from: string; to: string };
  conditionsAdded: string[];
  conditionsRemoved: string[];
  /** Requesters × categories that rely on it in the new policy. */
  usedBy: number;
  sentence: string;
}

export interface PolicyDiff {
  from: { name: string; version: string; file: string };
  to: { name: string; version: string; file: string };
  access: AccessChange[];
  legalBases: { added: string[]; removed: string[]; changed: LegalBasisChange[] };
  purposes: { added: string[]; removed: string[]; changed: string[] };
  roles: { added: string[]; removed: string[]; changed: string[] };
  /** Every change as one sentence, in reading order. */
  sentences: string[];
}

/** Reach of a cell: no data, with consent, without consent. */
const reach = (c: Cell) => (c.kind === 'legalBasis' ? 2 : c.kind === 'consent' ? 1 : 0);

const was = (c: Cell): string => {
  switch (c.kind) {
    case 'legalBasis':
      return `was ${c.citation}`;
    case 'consent':
      return c.recipient === 'own' ? 'was consent' : `was consent naming ${c.recipient}`;
    case 'never':
      return 'was never';
    case 'none':
      return 'was no rule';
  }
};

const conditionsOf = (c: Cell) => (c.kind === 'legalBasis' ? c.conditions : []);

function roleName(role: string, institutions: readonly string[], everywhere: boolean): string {
  const plural = role.endsWith('s') ? role : `${role}s`;
  return everywhere ? `All ${plural}` : `${joinAnd(institutions)} ${plural}`;
}

function describe(who: string, categories: readonly string[], from: Cell, to: Cell): { effect: AccessEffect; sentence: string } {
  const cats = joinAnd(categories);
  const before = reach(from);
  const after = reach(to);
  if (after > before) {
    if (to.kind === 'legalBasis') {
      const conds = to.must ? `; the request must ${to.must}` : '';
      return { effect: 'gain', sentence: `${who} gain ${cats} under ${to.citation} (${was(from)})${conds}` };
    }
    return { effect: 'gain', sentence: `${who} gain ${cats} with the person's consent${to.kind === 'consent' && to.recipient !== 'own' ? ` naming ${to.recipient}` : ''} (${was(from)})` };
  }
  if (after < before) {
    if (to.kind === 'consent') return { effect: 'lose', sentence: `${who} now need the person's consent for ${cats} (${was(from)})` };
    if (to.kind === 'never') return { effect: 'lose', sentence: `${who} lose ${cats}: never, not even with consent (${was(from)})` };
    return { effect: 'lose', sentence: `${who} lose ${cats} (${was(from)})` };
  }
  if (after === 0) {
    return to.kind === 'never'
      ? { effect: 'none', sentence: `${who}: ${cats} is now explicitly never released (was no rule; still denied)` }
      : { effect: 'none', sentence: `${who}: ${cats} has no rule any more (was never; still denied)` };
  }
  if (to.kind === 'consent' && from.kind === 'consent') {
    return { effect: 'change', sentence: `${who}: the consent for ${cats} must now name ${to.recipient === 'own' ? 'their own institution' : to.recipient} (${was(from)})` };
  }
  // Both legal bases, different ones.
  const t = to as Extract<Cell, { kind: 'legalBasis' }>;
  const f = from as Extract<Cell, { kind: 'legalBasis' }>;
  const conds = t.must === f.must ? '' : `; ${t.must ? `the request must now ${t.must}` : 'the request need meet no condition now'} (before: ${f.must || 'no condition'})`;
  return { effect: 'change', sentence: `${who} keep ${cats}, now under ${t.citation} (${was(f)})${conds}` };
}

function setDiff<T>(a: Iterable<T>, b: Iterable<T>): { added: T[]; removed: T[] } {
  const A = new Set(a);
  const B = new Set(b);
  return { added: [...B].filter((x) => !A.has(x)), removed: [...A].filter((x) => !B.has(x)) };
}

export function diffPolicies(from: Policy, to: Policy, catalogue: CategoryCatalogue): PolicyDiff {
  const sentences: string[] = [];

  // --- access, per requester and category ---
  // Requesters: every (institution, role) where the role exists in either policy.
  const roleIds = [...new Set([...to.roles.keys(), ...from.roles.keys()])];
  type Raw = { role: string; institution: Institution; key: string; from: Cell; to: Cell; category: string };
  const raw: Raw[] = [];
  for (const role of roleIds) {
    for (const institution of INSTITUTIONS) {
      if (!from.roleExistsAt(institution, role) && !to.roleExistsAt(institution, role)) continue;
      for (const c of catalogue.categories) {
        const a = from.roleExistsAt(institution, role) ? cellFor(from, institution, role, c.id) : ({ kind: 'none' } as Cell);
        const b = to.roleExistsAt(institution, role) ? cellFor(to, institution, role, c.id) : ({ kind: 'none' } as Cell);
        if (sameCell(a, b)) continue;
        raw.push({ role, institution, category: c.id, from: a, to: b, key: `${JSON.stringify(strip(a))}>${JSON.stringify(strip(b))}` });
      }
    }
  }
  // Group: same role, same transition → categories per institution; then institutions with the
  // same categories and transition merge ("All cii-referents ...").
  const perInstitution = new Map<string, Raw & { categories: string[] }>();
  for (const r of raw) {
    const k = `${r.role}|${r.institution}|${r.key}`;
    const g = perInstitution.get(k);
    if (g) g.categories.push(r.category);
    else perInstitution.set(k, { ...r, categories: [r.category] });
  }
  const merged = new Map<string, { role: string; institutions: Institution[]; categories: string[]; from: Cell; to: Cell }>();
  for (const g of perInstitution.values()) {
    const k = `${g.role}|${g.key}|${g.categories.join(',')}`;
    const m = merged.get(k);
    if (m) m.institutions.push(g.institution);
    else merged.set(k, { role: g.role, institutions: [g.institution], categories: g.categories, from: g.from, to: g.to });
  }
  const access: AccessChange[] = [...merged.values()].map((m) => {
    const existsAt = to.roles.get(m.role)?.institutions ?? from.roles.get(m.role)?.institutions ?? [];
    const everywhere = existsAt.length > 1 && INSTITUTIONS.filter((i) => existsAt.includes(i)).every((i) => m.institutions.includes(i));
    const { effect, sentence } = describe(roleName(m.role, m.institutions, everywhere), m.categories, m.from, m.to);
    return { role: m.role, institutions: m.institutions, everywhere, categories: m.categories, effect, from: m.from, to: m.to, sentence };
  });
  // Losses first (they take access away from someone), then gains, then the rest.
  const order: Record<AccessEffect, number> = { lose: 0, gain: 1, change: 2, none: 3 };
  access.sort((a, b) => order[a.effect] - order[b.effect] || roleIds.indexOf(a.role) - roleIds.indexOf(b.role));

  // --- legal bases ---
  const bases = setDiff(from.legalBases.keys(), to.legalBases.keys());
  const changedBases: LegalBasisChange[] = [];
  for (const [id, b] of to.legalBases) {
    const a = from.legalBases.get(id);
    if (!a) continue;
    const conds = setDiff(a.conditions.map((c) => c.description), b.conditions.map((c) => c.description));
    const mustOf = (basis: typeof a, descriptions: string[]) => conditionsMust(basis.conditions.filter((c) => descriptions.includes(c.description)));
    const citation = a.citation !== b.citation ? { from: a.citation, to: b.citation } : undefined;
    const summary = a.summary !== b.summary ? { from: a.summary, to: b.summary } : undefined;
    if (!citation && !summary && !conds.added.length && !conds.removed.length) continue;
    let usedBy = 0;
    for (const role of to.roles.values())
      for (const inst of role.institutions)
        for (const c of catalogue.categories) {
          const r = to.releaseFor(inst, role.id, c.id);
          if (r?.kind === 'legalBasis' && r.basis.id === id) usedBy++;
        }
    const parts: string[] = [];
    if (citation) parts.push(`its citation is now "${citation.to}" (was "${citation.from}"; the access log records the new one from now on)`);
    if (conds.added.length) parts.push(`the request must now also ${mustOf(b, conds.added)}`);
    if (conds.removed.length) parts.push(`the request no longer has to ${mustOf(a, conds.removed)}`);
    if (summary) parts.push(`its summary now reads "${summary.to}"`);
    changedBases.push({
      id,
      citation,
      summary,
      conditionsAdded: conds.added,
      conditionsRemoved: conds.removed,
      usedBy,
      sentence: `Legal basis ${b.citation} (${id}): ${parts.join('; ')}. It is the rule for ${usedBy} requester–category pair${usedBy === 1 ? '' : 's'}`,
    });
  }

  // --- purposes ---
  const purposes = setDiff(from.purposes.keys(), to.purposes.keys());
  const purposesChanged = [...to.purposes].filter(([k, v]) => from.purposes.has(k) && from.purposes.get(k) !== v).map(([k]) => k);

  // --- roles ---
  const roles = setDiff(from.roles.keys(), to.roles.keys());
  const roleSentences: string[] = [];
  const rolesChanged: string[] = [];
  for (const [id, b] of to.roles) {
    const a = from.roles.get(id);
    if (!a) continue;
    const parts: string[] = [];
    const inst = setDiff(a.institutions, b.institutions);
    if (inst.added.length) parts.push(`now exists at ${joinAnd(inst.added)}`);
    if (inst.removed.length) parts.push(`no longer exists at ${joinAnd(inst.removed)}`);
    if (a.consentRecipient !== b.consentRecipient) {
      const name = (r: string) => (r === 'own' ? 'their own institution' : r);
      parts.push(`consents must now name ${name(b.consentRecipient)} (was ${name(a.consentRecipient)})`);
    }
    const perms = setDiff(a.permissions, b.permissions);
    if (perms.added.length) parts.push(`may now ${perms.added.join(', ')}`);
    if (perms.removed.length) parts.push(`may no longer ${perms.removed.join(', ')}`);
    if (a.description !== b.description) parts.push(`description now reads "${b.description}"`);
    if (parts.length) {
      rolesChanged.push(id);
      roleSentences.push(`Role ${id}: ${parts.join('; ')}`);
    }
  }

  if (from.name !== to.name || from.version !== to.version) {
    sentences.push(`Policy "${from.name}" ${from.version} → "${to.name}" ${to.version}`);
  }
  sentences.push(...access.map((a) => a.sentence));
  for (const id of bases.added) sentences.push(`Legal basis added: ${to.legalBases.get(id)!.citation} (${id})`);
  for (const id of bases.removed) sentences.push(`Legal basis removed: ${from.legalBases.get(id)!.citation} (${id})`);
  sentences.push(...changedBases.map((c) => c.sentence));
  for (const p of purposes.added) sentences.push(`Purpose added: ${p} ("${to.purposes.get(p)}")`);
  for (const p of purposes.removed) sentences.push(`Purpose removed: ${p}: requests stating it will be refused, and consents naming it release nothing more`);
  for (const p of purposesChanged) sentences.push(`Purpose ${p}: description now reads "${to.purposes.get(p)}"`);
  for (const r of roles.added) sentences.push(`Role added: ${r} at ${joinAnd(to.roles.get(r)!.institutions)}`);
  for (const r of roles.removed) sentences.push(`Role removed: ${r}: its tokens will be refused`);
  sentences.push(...roleSentences);
  sentences.push(...conditionSentences('Every release by consent', from.consentConditions, to.consentConditions));
  for (const [id, b] of to.actions) {
    const a = from.actions.get(id);
    if (a) sentences.push(...conditionSentences(`Action ${id} (${b.description})`, a.conditions, b.conditions));
    else sentences.push(`Action added: ${id} (${b.description})${b.conditions.length ? `; the request must ${conditionsMust(b.conditions)}` : ''}`);
  }
  for (const id of from.actions.keys()) if (!to.actions.has(id)) sentences.push(`Action removed: ${id}: no role may take it`);
  for (const [k, v] of Object.entries(to.fishingSignals) as [keyof typeof to.fishingSignals, number][]) {
    if (from.fishingSignals[k] !== v) sentences.push(`Fishing signal threshold ${k}: ${from.fishingSignals[k]} → ${v}`);
  }

  return {
    from: { name: from.name, version: from.version, file: from.file },
    to: { name: to.name, version: to.version, file: to.file },
    access,
    legalBases: { added: bases.added, removed: bases.removed, changed: changedBases },
    purposes: { added: purposes.added, removed: purposes.removed, changed: purposesChanged },
    roles: { added: roles.added, removed: roles.removed, changed: rolesChanged },
    sentences,
  };
}

/** A cell without its rule index, for grouping: moving a rule in the file changes nothing. */
function strip(c: Cell): unknown {
  switch (c.kind) {
    case 'legalBasis':
      return ['legalBasis', c.basisId];
    case 'consent':
      return ['consent', c.recipient];
    default:
      return [c.kind];
  }
}

/** What changes in a list of conditions, in words: "<what>: the request must now also ..." */
function conditionSentences(what: string, a: readonly BoundCondition[], b: readonly BoundCondition[]): string[] {
  const added = b.filter((c) => !a.some((x) => x.type === c.type && x.description === c.description));
  const removed = a.filter((c) => !b.some((x) => x.type === c.type && x.description === c.description));
  const parts = [
    ...(added.length ? [`the request must now also ${conditionsMust(added)}`] : []),
    ...(removed.length ? [`the request no longer has to ${conditionsMust(removed)}`] : []),
  ];
  return parts.length ? [`${what}: ${parts.join('; ')}`] : [];
}
