// The access policy: data (schema/policy/*.json), validated at start against the category
// catalogue. An invalid policy stops the start with the file, the rule and the fault.
// Another canton's policy is another file (POLICY_FILE), not code.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StartupError } from '../errors.ts';
import { INSTITUTIONS, Institution, type CategoryCatalogue } from '../schema/catalogue.ts';
import { CONDITIONS, type ConditionInput } from './conditions/index.ts';

export const SAMPLE_POLICY_PATH = fileURLToPath(new URL('../../schema/policy/sample.json', import.meta.url));

import { DEFAULT_FISHING_THRESHOLDS, FishingThresholds } from '../supervision/thresholds.ts';
const Id = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

const PolicyFile = z.strictObject({
  $comment: z.string().optional(),
  name: z.string().min(1),
  version: z.string().min(1),
  purposes: z.array(z.strictObject({ code: Id, description: z.string().min(1) })).min(1),
  roles: z
    .array(
      z.strictObject({
        id: Id,
        institutions: z.array(Institution).min(1),
        description: z.string().min(1),
        /** Whom a consent must name for this role: its own institution, or the CII. */
        consentRecipient: z.union([z.literal('own'), Institution]),
        /** Actions the role may take (fields marked @permission), e.g. consent.record. */
        permissions: z.array(z.string().regex(/^[a-z]+(\.[a-zA-Z]+)+$/)),
      }),
    )
    .min(1),
  legalBases: z.array(
    z.strictObject({
      id: Id,
      citation: z.string().min(1),
      summary: z.string().min(1),
      conditions: z.array(z.looseObject({ type: z.string() })),
    }),
  ),
  /** Conditions every release by consent must meet too (e.g. openCase), besides the consent itself. */
  consentConditions: z.array(z.looseObject({ type: z.string() })).default([]),
  /**
   * Actions roles may be permitted (fields marked @permission), each with the conditions the
   * request must meet. A policy without this list (written before ciigraph 0.5) declares each
   * permission its roles hold as an action without conditions.
   */
  actions: z
    .array(z.strictObject({ id: z.string().regex(/^[a-z]+(\.[a-zA-Z]+)+$/), description: z.string().min(1), conditions: z.array(z.looseObject({ type: z.string() })) }))
    .optional(),
  /** When the DPO's signals page flags a requester's day (lib/supervision/); defaults when absent. */
  fishingSignals: FishingThresholds.optional(),
  rules: z.array(
    z.strictObject({
      institution: z.union([Institution, z.literal('*')]),
      roles: z.array(z.string()).min(1),
      /** category id → legal basis id | "consent" | "never" */
      categories: z.record(z.string(), z.string()),
    }),
  ),
});
type PolicyFile = z.infer<typeof PolicyFile>;

export interface BoundCondition {
  type: string;
  description: string;
  check(input: ConditionInput): string | null;
  /** See ConditionDefinition.readsPersonFacts. */
  readsPersonFacts: boolean;
  /** The reason of a denial it causes. */
  reason: 'CONDITION_UNMET' | 'NO_OPEN_CASE';
}

export interface LegalBasis {
  id: string;
  citation: string;
  summary: string;
  conditions: BoundCondition[];
}

export interface Role {
  id: string;
  institutions: Institution[];
  description: string;
  consentRecipient: 'own' | Institution;
  permissions: string[];
}

/** What a rule says for one category: released under a legal basis, by consent, or never. `rule`: its index in the file's `rules`. */
export type Release =
  | { kind: 'legalBasis'; basis: LegalBasis; rule: number }
  | { kind: 'consent'; rule: number; conditions: BoundCondition[] }
  | { kind: 'never'; rule: number };

/** Whether deciding under this rule reads the person's consents or cases (read, then, before deciding). */
export const readsPersonFacts = (release: Release | undefined): boolean => readsConsents(release) || readsCases(release);

/** Whether deciding under this rule reads the person's consents: a release by consent. */
export const readsConsents = (release: Release | undefined): boolean => release?.kind === 'consent';

/** Whether deciding under this rule reads the person's cases: one of its conditions does (openCase). */
export const readsCases = (release: Release | undefined): boolean =>
  (release?.kind === 'legalBasis' && release.basis.conditions.some((c) => c.readsPersonFacts)) || (release?.kind === 'consent' && release.conditions.some((c) => c.readsPersonFacts));

/** Whether any of these conditions reads the person's consents or cases. */
export const conditionsReadFacts = (conditions: readonly BoundCondition[]): boolean => conditions.some((c) => c.readsPersonFacts);

/** An action a role may be permitted (a field marked @permission), with the conditions a request must meet. */
export interface Action {
  id: string;
  description: string;
  conditions: BoundCondition[];
}

const NO_RELEASES: ReadonlyMap<string, Release> = new Map();

export class Policy {
  constructor(
    readonly file: string,
    readonly name: string,
    readonly version: string,
    readonly purposes: ReadonlyMap<string, string>,
    readonly roles: ReadonlyMap<string, Role>,
    readonly legalBases: ReadonlyMap<string, LegalBasis>,
    private readonly releases: ReadonlyMap<string, Release>,
    readonly actions: ReadonlyMap<string, Action> = new Map(),
    readonly consentConditions: readonly BoundCondition[] = [],
    readonly fishingSignals: FishingThresholds = DEFAULT_FISHING_THRESHOLDS,
  ) {}

  /** Per institution and role that exist, the rules by category (built on first use). */
  private readonly byRequester = new Map<string, ReadonlyMap<string, Release>>();

  /** The rule that applies to a requester and a category; undefined: no rule, so no data. */
  releaseFor(institution: Institution, role: string, category: string): Release | undefined {
    return this.releases.get(`${institution}|${role}|${category}`);
  }

  /**
   * Every rule that applies to a requester, by category: what a request's decisions read, so
   * that a request does not look each category up again. Empty for a role unknown there.
   */
  releasesOf(institution: Institution, role: string): ReadonlyMap<string, Release> {
    if (!this.roleExistsAt(institution, role)) return NO_RELEASES;
    const prefix = `${institution}|${role}|`;
    let table = this.byRequester.get(prefix);
    if (!table) {
      const t = new Map<string, Release>();
      for (const [key, release] of this.releases) if (key.startsWith(prefix)) t.set(key.slice(prefix.length), release);
      this.byRequester.set(prefix, (table = t));
    }
    return table;
  }

  /** The institution a consent must name to release data to this requester. */
  consentRecipientOf(institution: Institution, role: string): Institution {
    const r = this.roles.get(role)?.consentRecipient ?? 'own';
    return r === 'own' ? institution : r;
  }

  /** Whether the role may take an action marked @permission(id). */
  permits(role: string, permission: string): boolean {
    return this.roles.get(role)?.permissions.includes(permission) ?? false;
  }

  /** The institution a requester acts for: their own, or the CII for a CII referent (the role's consentRecipient). */
  actsFor(institution: Institution, role: string): Institution {
    return this.consentRecipientOf(institution, role);
  }

  /** Whether a role may act at an institution at all. */
  roleExistsAt(institution: Institution, role: string): boolean {
    return this.roles.get(role)?.institutions.includes(institution) ?? false;
  }
}

export function parsePolicy(json: unknown, catalogue: CategoryCatalogue, file: string): Policy {
  const parsed = PolicyFile.safeParse(json);
  if (!parsed.success) {
    throw new StartupError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const p: PolicyFile = parsed.data;
  const problems: string[] = [];
  const dup = (what: string, ids: string[]) =>
    ids.filter((id, i) => ids.indexOf(id) !== i).forEach((id) => problems.push(`${what} "${id}" is defined twice`));
  dup('purpose', p.purposes.map((x) => x.code));
  dup('role', p.roles.map((x) => x.id));
  dup('legal basis', p.legalBases.map((x) => x.id));

  const purposes = new Map(p.purposes.map((x) => [x.code, x.description]));
  const roles = new Map<string, Role>(p.roles.map((r) => [r.id, r]));

  const bind = (conditions: readonly { type: string }[], where: string): BoundCondition[] => {
    const bound: BoundCondition[] = [];
    conditions.forEach((c, ci) => {
      const at = `${where}.conditions[${ci}]`;
      const def = CONDITIONS.get(c.type);
      if (!def) {
        problems.push(`${at}: unknown condition type "${c.type}" (known: ${[...CONDITIONS.keys()].join(', ')})`);
        return;
      }
      const { type: _type, ...rest } = c;
      const params = def.params.safeParse(rest);
      if (!params.success) {
        problems.push(`${at}: ${params.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
        return;
      }
      for (const purpose of (params.data as { purposes?: string[] }).purposes ?? []) {
        if (!purposes.has(purpose)) problems.push(`${at}: purpose "${purpose}" is not in the policy's purposes`);
      }
      bound.push({ type: c.type, description: def.describe(params.data), check: (input) => def.check(params.data, input), readsPersonFacts: def.readsPersonFacts, reason: def.reason ?? 'CONDITION_UNMET' });
    });
    return bound;
  };

  const legalBases = new Map<string, LegalBasis>();
  p.legalBases.forEach((b, bi) => {
    legalBases.set(b.id, { id: b.id, citation: b.citation, summary: b.summary, conditions: bind(b.conditions, `legalBases[${bi}] (${b.id})`) });
  });
  const consentConditions = bind(p.consentConditions, 'consentConditions');
  const declared = p.actions ?? [...new Set(p.roles.flatMap((r) => r.permissions))].map((id) => ({ id, description: id.replace('.', ' '), conditions: [] }));
  const actions = new Map<string, Action>(declared.map((a, ai) => [a.id, { id: a.id, description: a.description, conditions: bind(a.conditions, `actions[${ai}] (${a.id})`) }]));
  dup('action', declared.map((a) => a.id));
  for (const r of p.roles) {
    for (const permission of r.permissions) if (!actions.has(permission)) problems.push(`roles (${r.id}): permission "${permission}" is not an action of the policy's actions`);
  }

  const releases = new Map<string, Release>();
  const owner = new Map<string, number>();
  p.rules.forEach((rule, ri) => {
    const where = `rules[${ri}] (${rule.institution} ${rule.roles.join(', ')})`;
    const institutions = rule.institution === '*' ? INSTITUTIONS : [rule.institution];
    for (const role of rule.roles) {
      const r = roles.get(role);
      if (!r) {
        problems.push(`${where}: unknown role "${role}"`);
        continue;
      }
      if (rule.institution !== '*' && !r.institutions.includes(rule.institution)) {
        problems.push(`${where}: role "${role}" does not exist at ${rule.institution} (only at ${r.institutions.join(', ')})`);
      }
      // Every institution × role must be covered by one rule at most: no precedence to guess.
      for (const inst of institutions.filter((i) => r.institutions.includes(i))) {
        const key = `${inst}|${role}`;
        const other = owner.get(key);
        if (other !== undefined && other !== ri) problems.push(`${where}: ${inst} ${role} is already covered by rules[${other}]`);
        owner.set(key, ri);
      }
    }
    for (const [category, value] of Object.entries(rule.categories)) {
      const cat = catalogue.byId.get(category);
      if (!cat) {
        problems.push(`${where}: category "${category}" is not in the catalogue`);
        continue;
      }
      let release: Release;
      if (value === 'consent') release = { kind: 'consent', rule: ri, conditions: consentConditions };
      else if (value === 'never') release = { kind: 'never', rule: ri };
      else {
        const basis = legalBases.get(value);
        if (!basis) {
          problems.push(`${where}: category "${category}" names "${value}", which is neither a legal basis of the policy nor "consent" or "never"`);
          continue;
        }
        release = { kind: 'legalBasis', basis, rule: ri };
      }
      for (const inst of institutions) {
        if (release.kind !== 'never' && cat.confinedTo && inst !== cat.confinedTo) {
          problems.push(`${where}: "${category}" never leaves ${cat.confinedTo}, but this rule releases it to ${inst} by ${value}`);
        }
        for (const role of rule.roles) if (roles.get(role)?.institutions.includes(inst)) releases.set(`${inst}|${role}|${category}`, release);
      }
    }
  });

  if (problems.length) throw new StartupError(file, problems);
  return new Policy(file, p.name, p.version, purposes, roles, legalBases, releases, actions, consentConditions, p.fishingSignals ?? DEFAULT_FISHING_THRESHOLDS);
}

export function loadPolicy(catalogue: CategoryCatalogue, file = SAMPLE_POLICY_PATH): Policy {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StartupError(file, [`cannot read or parse: ${(e as Error).message}`]);
  }
  return parsePolicy(json, catalogue, file);
}
