// The policy review: everything a data-protection officer needs to read the active policy,
// as plain data (no markup), built once from the policy, the category catalogue and the
// composed supergraph. The HTML page, the Markdown report and the gateway's /policy route
// all render this one model, so they cannot disagree.
import {
  buildASTSchema,
  isObjectType,
  parse,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import { SIGNAL_RULES } from '../supervision/signals/index.ts';
import { INSTITUTIONS, type CategoryCatalogue, type Institution } from '../schema/catalogue.ts';
import { checkCategoryCoverage } from '../schema/category-coverage.ts';
import { declaredCategory, declaredPermission } from '../schema/categories.ts';
import type { Policy, Release } from '../access/policy.ts';

/** What the policy says for one requester and one category. */
export type Cell =
  | {
      kind: 'legalBasis';
      basisId: string;
      citation: string;
      /** Short labels of the conditions, for the matrix ("purpose stated", "case reference"). */
      conditionLabels: string[];
      /** The conditions in full, as the condition definitions describe them. */
      conditions: string[];
      /** The same conditions, as one phrase after "the request must". */
      must: string;
      /** Index of the rule in the policy file's `rules`. */
      rule: number;
    }
  | {
      kind: 'consent';
      /** whom the consent must name: the requester's own institution, or e.g. CII */
      recipient: 'own' | Institution;
      rule: number;
      /** The policy's conditions on every release by consent (consentConditions), as short labels and as a phrase after "the request must". */
      conditionLabels: string[];
      must: string;
    }
  | { kind: 'never'; rule: number }
  | { kind: 'none' };

export type CellKind = Cell['kind'];

/**
 * One role at one or more institutions with the same cells for every category (a rule for
 * "*" covers a role everywhere, so the page shows it once, not once per institution).
 */
export interface RequesterGroup {
  /** Stable, unique: `<role>@<institutions joined by +>`. */
  key: string;
  role: string;
  roleDescription: string;
  institutions: Institution[];
  /** True when the group is every institution the role exists at. */
  everywhere: boolean;
  /** The rule indices that define the group's cells (empty: no rule at all). */
  rules: number[];
  cells: Record<string, Cell>;
}

export interface ReviewCategory {
  id: string;
  institution: Institution;
  sensitive: boolean;
  description: string;
  confinedTo: Institution | undefined;
  /** Field coordinates (`Type.field`) of this category in the supergraph. */
  fields: string[];
}

export interface ReviewField {
  /** `Type.field` */
  coordinate: string;
  type: string;
  field: string;
  /** The field's GraphQL type, e.g. `[LabourMarketMeasure!]`. */
  returnType: string;
  category: string;
  /** False when the field belongs to its parent field's category (entitlement.remainingDays). */
  declared: boolean;
  sensitive: boolean;
  description: string | undefined;
}

export interface ReviewLegalBasis {
  id: string;
  citation: string;
  summary: string;
  conditions: { type: string; label: string; description: string }[];
  /** Where it is used: requester group key × category. */
  usedBy: { group: string; category: string }[];
}

export interface ReviewRole {
  id: string;
  description: string;
  institutions: Institution[];
  consentRecipient: 'own' | Institution;
  permissions: string[];
}

/** An action marked @permission in the supergraph (recording a consent), and who may take it. */
export interface ReviewAction {
  coordinate: string;
  permission: string;
  description: string | undefined;
  roles: string[];
}

export interface PolicyReview {
  policy: { name: string; version: string; file: string };
  institutions: Institution[];
  categories: ReviewCategory[];
  fields: ReviewField[];
  groups: RequesterGroup[];
  legalBases: ReviewLegalBasis[];
  purposes: { code: string; description: string }[];
  roles: ReviewRole[];
  actions: ReviewAction[];
  /** When the DPO's signals page flags a requester's day: each rule in words, with the policy's thresholds. */
  fishingSignals: { rule: string; description: string }[];
  /** Faults found while building (a field without a category, a category without a field). */
  warnings: string[];
}

const CONDITION_LABELS: Record<string, (description: string) => string> = {
  purposeRequired: () => 'purpose stated',
  caseReferenceRequired: () => 'case reference',
  purposeIn: (d) => d.replace(/^the purpose is one of: (.*)$/, (_m, list: string) => `purpose ${joinOr(list.split(', '))}`),
  requesterIsThePerson: () => 'own data only',
  openCase: () => 'open case',
};

/** A short label for a condition; a condition type added later falls back to its description. */
export function conditionLabel(type: string, description: string): string {
  return CONDITION_LABELS[type]?.(description) ?? description;
}

/** Short labels of a basis's conditions; "purpose stated" goes without saying next to a list of purposes. */
export function conditionLabels(conditions: readonly { type: string; description: string }[]): string[] {
  const listed = conditions.some((c) => c.type === 'purposeIn');
  return conditions.filter((c) => !(listed && c.type === 'purposeRequired')).map((c) => conditionLabel(c.type, c.description));
}

const CONDITION_MUSTS: Record<string, (description: string) => string> = {
  purposeRequired: () => 'state a purpose',
  caseReferenceRequired: () => 'give a case reference',
  purposeIn: (d) => d.replace(/^the purpose is one of: (.*)$/, (_m, list: string) => `state the purpose ${joinOr(list.split(', '))}`),
  requesterIsThePerson: () => 'come from the person concerned',
  openCase: () => "concern an open case of the requester's institution",
};

/**
 * What a basis's conditions demand, as one phrase that follows "the request must":
 * "state the purpose cii or placement and give a case reference".
 */
export function conditionsMust(conditions: readonly { type: string; description: string }[]): string {
  const listed = conditions.some((c) => c.type === 'purposeIn');
  return joinAnd(
    conditions
      .filter((c) => !(listed && c.type === 'purposeRequired'))
      .map((c) => CONDITION_MUSTS[c.type]?.(c.description) ?? `meet "${c.description}"`),
  );
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

export function cellOf(release: Release | undefined): Cell {
  if (!release) return { kind: 'none' };
  switch (release.kind) {
    case 'never':
      return { kind: 'never', rule: release.rule };
    case 'consent':
      return { kind: 'consent', recipient: 'own', rule: release.rule, conditionLabels: conditionLabels(release.conditions), must: conditionsMust(release.conditions) };
    case 'legalBasis':
      return {
        kind: 'legalBasis',
        basisId: release.basis.id,
        citation: release.basis.citation,
        conditionLabels: conditionLabels(release.basis.conditions),
        conditions: release.basis.conditions.map((c) => c.description),
        must: conditionsMust(release.basis.conditions),
        rule: release.rule,
      };
  }
}

/** The cell for one requester and category, with the consent recipient of the role filled in. */
export function cellFor(policy: Policy, institution: Institution, role: string, category: string): Cell {
  const cell = cellOf(policy.releaseFor(institution, role, category));
  if (cell.kind === 'consent') cell.recipient = policy.roles.get(role)?.consentRecipient ?? 'own';
  return cell;
}

/** Two cells say the same thing (rule indices aside). */
export function sameCell(a: Cell, b: Cell): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'legalBasis' && b.kind === 'legalBasis') return a.basisId === b.basisId;
  if (a.kind === 'consent' && b.kind === 'consent') return a.recipient === b.recipient;
  return true;
}

function typeString(field: GraphQLField<unknown, unknown>): string {
  return String(field.type);
}

function fieldsOf(schema: GraphQLSchema, sdl: string, catalogue: CategoryCatalogue, warnings: string[]): ReviewField[] {
  // Person's subtree (the registries' data) and the Query fields that carry a category
  // (accessLog): the coverage walk from each root, so inherited categories come out the same
  // way the enforcement sees them.
  const person = checkCategoryCoverage(sdl, catalogue, 'Person');
  warnings.push(...person.problems);
  const all = new Map(person.fieldCategories);
  const query = schema.getQueryType();
  if (query) {
    // Query fields without a category (person, persons) are entry points, not data: the
    // walk's complaints about them are not faults.
    for (const [coordinate, category] of checkCategoryCoverage(sdl, catalogue, query.name).fieldCategories) {
      if (!all.has(coordinate)) all.set(coordinate, category);
    }
  }
  const out: ReviewField[] = [];
  for (const [coordinate, category] of all) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    out.push({
      coordinate,
      type: typeName,
      field: fieldName,
      returnType: field ? typeString(field) : '',
      category,
      declared: field ? declaredCategory(field) === category : false,
      sensitive: catalogue.byId.get(category)?.sensitive ?? false,
      description: field?.description?.replace(/\s+/g, ' ').trim() || undefined,
    });
  }
  // Catalogue order, then the schema's order within a category.
  const order = new Map(catalogue.categories.map((c, i) => [c.id, i]));
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (order.get(a.f.category) ?? 1e9) - (order.get(b.f.category) ?? 1e9) || a.i - b.i)
    .map(({ f }) => f);
}

function actionsOf(schema: GraphQLSchema, policy: Policy): ReviewAction[] {
  const out: ReviewAction[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const permission = declaredPermission(field);
      if (!permission) continue;
      out.push({
        coordinate: `${type.name}.${field.name}`,
        permission,
        description: field.description?.replace(/\s+/g, ' ').trim() || undefined,
        roles: [...policy.roles.values()].filter((r) => r.permissions.includes(permission)).map((r) => r.id),
      });
    }
  }
  return out;
}

function groupsOf(policy: Policy, catalogue: CategoryCatalogue): RequesterGroup[] {
  const groups: RequesterGroup[] = [];
  for (const role of policy.roles.values()) {
    const mine: RequesterGroup[] = [];
    for (const institution of INSTITUTIONS.filter((i) => role.institutions.includes(i))) {
      const cells: Record<string, Cell> = {};
      const rules = new Set<number>();
      for (const c of catalogue.categories) {
        const cell = cellFor(policy, institution, role.id, c.id);
        cells[c.id] = cell;
        if (cell.kind !== 'none') rules.add(cell.rule);
      }
      // Same cells and same rules: the same row of the file seen from another institution.
      const same = mine.find(
        (g) => g.rules.join() === [...rules].sort((a, b) => a - b).join() && catalogue.categories.every((c) => sameCell(g.cells[c.id]!, cells[c.id]!)),
      );
      if (same) same.institutions.push(institution);
      else mine.push({ key: '', role: role.id, roleDescription: role.description, institutions: [institution], everywhere: false, rules: [...rules].sort((a, b) => a - b), cells });
    }
    for (const g of mine) {
      g.everywhere = g.institutions.length === role.institutions.length && role.institutions.length > 1;
      g.key = `${g.role}@${g.institutions.join('+')}`;
    }
    groups.push(...mine);
  }
  return groups;
}

export function buildPolicyReview(policy: Policy, catalogue: CategoryCatalogue, supergraphSdl: string): PolicyReview {
  const warnings: string[] = [];
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const fields = fieldsOf(schema, supergraphSdl, catalogue, warnings);
  const categories: ReviewCategory[] = catalogue.categories.map((c) => ({
    id: c.id,
    institution: c.institution,
    sensitive: c.sensitive,
    description: c.description,
    confinedTo: c.confinedTo,
    fields: fields.filter((f) => f.category === c.id).map((f) => f.coordinate),
  }));
  for (const c of categories) if (c.fields.length === 0) warnings.push(`category "${c.id}" has no field in the supergraph`);

  const groups = groupsOf(policy, catalogue);
  const legalBases: ReviewLegalBasis[] = [...policy.legalBases.values()].map((b) => ({
    id: b.id,
    citation: b.citation,
    summary: b.summary,
    conditions: b.conditions.map((c) => ({ type: c.type, label: conditionLabel(c.type, c.description), description: c.description })),
    usedBy: groups.flatMap((g) =>
      categories.filter((c) => { const cell = g.cells[c.id]; return cell?.kind === 'legalBasis' && cell.basisId === b.id; }).map((c) => ({ group: g.key, category: c.id })),
    ),
  }));
  for (const b of legalBases) if (b.usedBy.length === 0) warnings.push(`legal basis "${b.id}" (${b.citation}) is used by no rule`);

  return {
    policy: { name: policy.name, version: policy.version, file: policy.file },
    institutions: [...INSTITUTIONS],
    categories,
    fields,
    groups,
    legalBases,
    purposes: [...policy.purposes].map(([code, description]) => ({ code, description })),
    roles: [...policy.roles.values()].map((r) => ({
      id: r.id,
      description: r.description,
      institutions: INSTITUTIONS.filter((i) => r.institutions.includes(i)),
      consentRecipient: r.consentRecipient,
      permissions: [...r.permissions],
    })),
    actions: actionsOf(schema, policy),
    fishingSignals: [...SIGNAL_RULES.values()].map((r) => ({ rule: r.id, description: r.describe(policy.fishingSignals) })),
    warnings,
  };
}

// ---- wording shared by the renderers and the diff ----

/** "AC", "AC and AI", "AC, AI and AS". */
export function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** How a group is named in a sentence or a column head: "AI case-manager", "cii-referent (every institution)". */
export function groupLabel(g: Pick<RequesterGroup, 'role' | 'institutions' | 'everywhere'>): string {
  return g.everywhere ? `${g.role} (every institution)` : `${g.institutions.join(', ')} ${g.role}`;
}

/** What a cell says, in words. */
export function cellWords(cell: Cell): string {
  switch (cell.kind) {
    case 'legalBasis':
      return `under ${cell.citation}${cell.conditionLabels.length ? ` (if: ${cell.conditionLabels.join('; ')})` : ''}`;
    case 'consent':
      return cell.recipient === 'own' ? "with the person's consent" : `with the person's consent naming ${cell.recipient}`;
    case 'never':
      return 'never, not even with consent';
    case 'none':
      return 'no rule (denied)';
  }
}

/** What a request must meet under a cell, after "the request must"; for the rule lists. */
export function mustWords(cell: Cell, institutions: readonly Institution[]): string {
  switch (cell.kind) {
    case 'legalBasis':
      return cell.must || 'meet no condition (the legal basis alone releases it)';
    case 'consent': {
      const names = cell.recipient !== 'own' ? cell.recipient : institutions.length === 1 ? institutions[0]! : "the requester's institution";
      return `rest on the person's signed consent, in force, naming ${names}, this category and the request's purpose${cell.must ? `, and ${cell.must}` : ''}`;
    }
    case 'never':
      return 'nothing releases it, not even a consent';
    case 'none':
      return '';
  }
}
