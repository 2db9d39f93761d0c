// The access log's record format, written and read here only. A record is one append: groups
// of entries (one request's batch of decisions, or one action), each group stating once when,
// who, why and where, then its items: one outcome for one or more persons in a row, one
// entry per person. A caseload's category decided alike for 200 persons is one item, and
// items of the same persons in the same order write the list once (a later item names the
// earlier one by its index).
//
// Versions: 5 (ciigraph 0.5, objects, with action, reason, rule, condition, policy, client)
// is written; 4 (0.2–0.4: positional arrays, rows and runs) is still read, so a log started
// by an earlier version keeps verifying and answering.
import { hash } from 'node:crypto';
import { z } from 'zod';
import { DENIAL_REASONS, type Decision, type DenialReason } from '../access/decision.ts';
import type { Requester } from '../access/requester.ts';
import { Institution } from '../schema/catalogue.ts';
import type { LogHead } from './chain.ts';
import { LOG_ACTIONS, type AccessLogEntry, type LogAction, type NewAccessLogEntry } from './log.ts';

export const FORMAT_VERSION = 5;

// ---------------------------------------------------------------------------------------------
// Version 5

const Persons = z.union([z.array(z.string().min(1)).min(1), z.number().int().min(0)]);

const LogItem = z.strictObject({
  action: z.enum(LOG_ACTIONS),
  category: z.string().min(1),
  decision: z.enum(['ALLOWED', 'DENIED']),
  reason: z.enum(DENIAL_REASONS).optional(),
  legalBasis: z.string().optional(),
  rule: z.number().int().min(0).optional(),
  condition: z.string().optional(),
  /** One per person, where consents released it (or the consent an action concerns). */
  consentIds: z.array(z.string()).optional(),
  /** One per person, where a person's case reference is not the group's. */
  caseReferences: z.array(z.string().nullable()).optional(),
  /** The persons, or the index of an earlier item of the group that lists the same ones. */
  persons: Persons,
});
export type LogItem = z.infer<typeof LogItem>;

const LogGroup = z
  .strictObject({
    at: z.string().min(1),
    institution: Institution,
    role: z.string().min(1),
    subject: z.string().min(1),
    client: z.string().optional(),
    purpose: z.string().nullable(),
    caseReference: z.string().nullable(),
    subgraph: z.string().min(1),
    requestId: z.string().min(1),
    /** "<name> <version>" of the policy the decisions were made under. */
    policy: z.string().optional(),
    items: z.array(LogItem).min(1),
  })
  .superRefine((group, ctx) => {
    group.items.forEach((item, i) => {
      const persons = personsAt(group.items, i);
      if (persons === undefined) ctx.addIssue({ code: 'custom', path: ['items', i, 'persons'], message: 'names no earlier item with its own persons' });
      for (const list of ['consentIds', 'caseReferences'] as const) {
        if (persons && item[list] && item[list].length !== persons.length) {
          ctx.addIssue({ code: 'custom', path: ['items', i, list], message: 'is not one per person' });
        }
      }
    });
  });
export type LogGroup = z.infer<typeof LogGroup>;

/** An item's persons: its own list, or that of the earlier item it names (which must have its own). */
function personsAt(items: readonly LogItem[], i: number): readonly string[] | undefined {
  const p = items[i]!.persons;
  if (typeof p !== 'number') return p;
  const named = p < i ? items[p]?.persons : undefined;
  return Array.isArray(named) ? named : undefined;
}

/** When, who and why of one request's decisions: what their group states once. */
export interface GroupHeader {
  at: string;
  requester: Requester;
  purpose: string | null;
  caseReference: string | null;
  subgraph: string;
  requestId: string;
  policy: string;
}

/**
 * One request's decisions as a group: decisions alike (same category and outcome, same rule
 * and reason) become one item with their persons in order; a release by consent lists each
 * person's consent id.
 */
export function groupOfDecisions(header: GroupHeader, decisions: readonly Decision[]): LogGroup {
  const items: LogItem[] = [];
  const byOutcome = new Map<string, LogItem & { persons: string[] }>();
  for (const d of decisions) {
    const byConsent = d.allowed && d.consentId !== undefined;
    const key = [d.category, d.allowed, d.rule, d.allowed ? d.legalBasis : '', byConsent, d.allowed ? '' : d.reason, d.allowed ? '' : d.condition?.type].join('\u0000');
    let item = byOutcome.get(key);
    if (!item) {
      item = { action: 'READ', category: d.category, decision: d.allowed ? 'ALLOWED' : 'DENIED', persons: [] };
      if (!d.allowed) item.reason = d.reason;
      // The citation that released it (CONTRACT.md section 4); a denial names its rule and condition instead.
      if (d.allowed && d.legalBasis !== undefined) item.legalBasis = d.legalBasis;
      if (d.rule !== undefined) item.rule = d.rule;
      if (!d.allowed && d.condition) item.condition = d.condition.type;
      if (byConsent) item.consentIds = [];
      byOutcome.set(key, item);
      items.push(item);
    }
    // The case each person was decided under, where the request named none (a caseload).
    if (d.caseReference !== undefined && d.caseReference !== header.caseReference) item.caseReferences ??= item.persons.map(() => null);
    item.persons.push(d.avs);
    item.caseReferences?.push(d.caseReference ?? null);
    if (byConsent) item.consentIds!.push(d.consentId!);
  }
  return { ...headerFields(header), items: sharePersons(items) };
}

function headerFields(h: GroupHeader): Omit<LogGroup, 'items'> {
  const { institution, role, subject, client } = h.requester;
  return {
    at: h.at,
    institution,
    role,
    subject,
    ...(client ? { client } : {}),
    purpose: h.purpose,
    caseReference: h.caseReference,
    subgraph: h.subgraph,
    requestId: h.requestId,
    policy: h.policy,
  };
}

/** An action on a consent or a case (or an attempt at one), journaled in the same chain as the decisions. */
export interface ActionEntry {
  action: Exclude<LogAction, 'READ'>;
  avs: string;
  category: string;
  decision: 'ALLOWED' | 'DENIED';
  reason?: DenialReason;
  consentId?: string;
  /** The case concerned, where it is not the request's. */
  caseReference?: string;
}

/** Actions of one request as a group, one item each. */
export function groupOfActions(header: GroupHeader, actions: readonly ActionEntry[]): LogGroup {
  const items = actions.map((a): LogItem => {
    const item: LogItem = { action: a.action, category: a.category, decision: a.decision, persons: [a.avs] };
    if (a.reason) item.reason = a.reason;
    if (a.consentId) item.consentIds = [a.consentId];
    if (a.caseReference !== undefined && a.caseReference !== header.caseReference) item.caseReferences = [a.caseReference];
    return item;
  });
  return { ...headerFields(header), items };
}

/** Entries one by one (tests, tooling, single actions): consecutive entries with the same header share a group, each its own item. */
export function groupsOfEntries(entries: readonly NewAccessLogEntry[]): LogGroup[] {
  const groups: LogGroup[] = [];
  let current: LogGroup | undefined;
  let currentKey = '';
  for (const e of entries) {
    const header: Omit<LogGroup, 'items'> = {
      at: e.at,
      institution: e.institution,
      role: e.role,
      subject: e.subject,
      ...(e.client ? { client: e.client } : {}),
      purpose: e.purpose ?? null,
      caseReference: e.caseReference ?? null,
      subgraph: e.subgraph,
      requestId: e.requestId,
      ...(e.policy ? { policy: e.policy } : {}),
    };
    const key = JSON.stringify(header);
    if (!current || key !== currentKey) {
      current = { ...header, items: [] };
      currentKey = key;
      groups.push(current);
    }
    const item: LogItem = { action: e.action ?? 'READ', category: e.category, decision: e.decision, persons: [e.avs] };
    if (e.reason) item.reason = e.reason;
    if (e.legalBasis) item.legalBasis = e.legalBasis;
    if (e.rule !== undefined && e.rule !== null) item.rule = e.rule;
    if (e.condition) item.condition = e.condition;
    if (e.consentId) item.consentIds = [e.consentId];
    current.items.push(item);
  }
  return groups;
}

/** Makes each item whose persons are those of an earlier item (same persons, same order) name it instead. */
function sharePersons(items: LogItem[]): LogItem[] {
  const lists: { index: number; persons: readonly string[] }[] = [];
  items.forEach((item, index) => {
    const persons = item.persons as string[];
    const same = lists.find((l) => sameList(l.persons, persons));
    if (same) item.persons = same.index;
    else lists.push({ index, persons });
  });
  return items;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---------------------------------------------------------------------------------------------
// Version 4 (ciigraph 0.2–0.4), read only

/** A row: one decision of one person. */
type LegacyRow = [avs: string, category: string, decision: 'ALLOWED' | 'DENIED', legalBasis: string | null, consentId: string | null];
/** A run: one decision for several persons (a list, or the index of an earlier run of the group); consent ids one per person. */
type LegacyRun = [category: string, decision: 'ALLOWED' | 'DENIED', legalBasis: string | null, consentId: string | null | string[], persons: string[] | number];
type LegacyItem = LegacyRow | LegacyRun;
type LegacyGroup = [at: string, institution: Institution, role: string, subject: string, purpose: string | null, caseReference: string | null, subgraph: string, requestId: string, items: LegacyItem[]];

const isRun = (item: LegacyItem): item is LegacyRun => typeof item[4] === 'number' || Array.isArray(item[4]);

const isString = (v: unknown) => typeof v === 'string';
/** A row, a run with its list, or a run naming an earlier run of its group that has its own list. */
function isLegacyItem(item: unknown, i: number, items: readonly unknown[]): boolean {
  if (!Array.isArray(item) || item.length !== 5 || !isString(item[0])) return false;
  const p: unknown = item[4];
  let persons: unknown = p;
  if (typeof p === 'number') {
    const named: unknown = Number.isInteger(p) && p >= 0 && p < i ? items[p] : undefined;
    persons = Array.isArray(named) ? named[4] : undefined;
  }
  if (!Array.isArray(persons)) return typeof p !== 'number' && isString(item[1]) && !Array.isArray(item[3]);
  if (persons.length === 0 || !persons.every(isString)) return false;
  const consents: unknown = item[3];
  return !Array.isArray(consents) || (consents.length === persons.length && consents.every(isString));
}
const isLegacyGroup = (g: unknown) => Array.isArray(g) && g.length === 9 && Array.isArray(g[8]) && g[8].every(isLegacyItem);

/** A legacy group's entries as version 5 reads them: a READ each, no reason, rule or policy. */
function legacyEntries(g: LegacyGroup): Omit<AccessLogEntry, 'id'>[] {
  const [at, institution, role, subject, purpose, caseReference, subgraph, requestId, items] = g;
  const header = { at, action: 'READ' as const, institution, role, subject, client: null, purpose, caseReference, subgraph, requestId, reason: null, rule: null, condition: null, policy: null };
  const out: Omit<AccessLogEntry, 'id'>[] = [];
  for (const item of items) {
    if (!isRun(item)) {
      out.push({ ...header, avs: item[0], category: item[1], decision: item[2], legalBasis: item[3], consentId: item[4] });
      continue;
    }
    const persons = typeof item[4] === 'number' ? ((items[item[4]] as LegacyRun)[4] as string[]) : item[4];
    const consents = item[3];
    persons.forEach((avs, k) =>
      out.push({ ...header, avs, category: item[0], decision: item[1], legalBasis: item[2], consentId: Array.isArray(consents) ? consents[k]! : consents }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Records

export type ChainedRecord =
  | { v: 5; seq: number; firstId: number; prevHash: string; hash: string; groups: LogGroup[] }
  | { v: 4; seq: number; firstId: number; prevHash: string; hash: string; groups: LegacyGroup[] };

/** A record's hash: SHA-256 of the previous hash, a newline and `[version,seq,firstId,groups]` (version 4: `[seq,firstId,groups]`). */
export function recordHash(r: Pick<ChainedRecord, 'v' | 'seq' | 'firstId' | 'prevHash' | 'groups'>, groupsJson = JSON.stringify(r.groups)): string {
  const version = r.v === 4 ? '' : `${r.v},`;
  return hash('sha256', `${r.prevHash}\n[${version}${r.seq},${r.firstId},${groupsJson}]`, 'hex');
}

/** The next record of a chain whose last hash is `prevHash`, and the text a store keeps. */
export function linkRecord(prevHash: string, seq: number, firstId: number, groups: readonly LogGroup[]): { record: ChainedRecord; stored: string } {
  const groupsJson = JSON.stringify(groups);
  const record: ChainedRecord = { v: FORMAT_VERSION, seq, firstId, prevHash, hash: '', groups: groups as LogGroup[] };
  record.hash = recordHash(record, groupsJson);
  const stored = `{"v":${FORMAT_VERSION},"seq":${seq},"firstId":${firstId},"prevHash":${JSON.stringify(prevHash)},"hash":${JSON.stringify(record.hash)},"groups":${groupsJson}}`;
  return { record, stored };
}

const CANONICAL_V5 = /^\{"v":5,"seq":(\d+),"firstId":(\d+),"prevHash":"([0-9a-f]{64})","hash":"([0-9a-f]{64})","groups":/;

/**
 * A record's place in the chain, read from its text as linkRecord() writes it, without parsing
 * its groups: its number, first entry id, previous hash and hash, the hash checked against the
 * text. Null when the text is not in that form or its hash does not hold. For a writer about to
 * sign the head (lib/audit/checkpoint.ts): what it needs is that the records link, and parsing
 * every record would cost it more than the appends themselves.
 */
export function linkOf(raw: string): { seq: number; firstId: number; prevHash: string; hash: string } | null {
  const m = CANONICAL_V5.exec(raw.slice(0, 200));
  if (!m || !raw.endsWith('}')) return null;
  const [seq, firstId, prevHash, claimed] = [Number(m[1]), Number(m[2]), m[3]!, m[4]!];
  const groupsJson = raw.slice(m[0].length, -1);
  return hash('sha256', `${prevHash}\n[${FORMAT_VERSION},${seq},${firstId},${groupsJson}]`, 'hex') === claimed ? { seq, firstId, prevHash, hash: claimed } : null;
}

/** Reads a stored record; null when it is not one of a known version. Its hash is the verifier's to check. */
export function parseStoredRecord(raw: string): ChainedRecord | null {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r.seq) || !Number.isSafeInteger(r.firstId) || !isString(r.prevHash) || !isString(r.hash)) return null;
  if (!Array.isArray(r.groups)) return null;
  if (r.v === FORMAT_VERSION) {
    // Validated, but the parsed value is kept as it is: its serialisation is what the hash covers.
    return r.groups.every((g) => LogGroup.safeParse(g).success) ? (r as unknown as ChainedRecord) : null;
  }
  if (r.v === undefined) return r.groups.every(isLegacyGroup) ? ({ ...r, v: 4 } as unknown as ChainedRecord) : null;
  return null;
}

/** A record's entries, oldest first; `keep` filters before an entry object is built. */
export function entriesOf(record: ChainedRecord, keep?: (avs: string, caseReference: string | null) => boolean): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  let id = record.firstId;
  const take = (e: Omit<AccessLogEntry, 'id'>) => {
    if (!keep || keep(e.avs, e.caseReference)) out.push({ id: String(id), ...e });
    id++;
  };
  if (record.v === 4) {
    for (const g of record.groups) legacyEntries(g).forEach(take);
    return out;
  }
  for (const g of record.groups) {
    g.items.forEach((item, i) => {
      personsAt(g.items, i)!.forEach((avs, k) =>
        take({
          at: g.at,
          action: item.action as LogAction,
          institution: g.institution,
          role: g.role,
          subject: g.subject,
          client: g.client ?? null,
          avs,
          category: item.category,
          decision: item.decision,
          reason: (item.reason as DenialReason | undefined) ?? null,
          legalBasis: item.legalBasis ?? null,
          consentId: item.consentIds?.[k] ?? null,
          rule: item.rule ?? null,
          condition: item.condition ?? null,
          policy: g.policy ?? null,
          purpose: g.purpose,
          caseReference: item.caseReferences?.[k] ?? g.caseReference,
          subgraph: g.subgraph,
          requestId: g.requestId,
        }),
      );
    });
  }
  return out;
}

/** How many entries groups hold. */
export function entryCount(groups: readonly LogGroup[]): number {
  let n = 0;
  for (const g of groups) g.items.forEach((_, i) => (n += personsAt(g.items, i)!.length));
  return n;
}

/** How many entries a record holds. */
export const recordEntryCount = (record: ChainedRecord): number => (record.v === 4 ? entriesOf(record).length : entryCount(record.groups));

/** Where the chain stands after this record. */
export const headAfter = (record: ChainedRecord): LogHead => ({ seq: record.seq, lastId: record.firstId + recordEntryCount(record) - 1, hash: record.hash });

/** The persons a record holds entries of, each once. */
export function personsOf(record: ChainedRecord): Set<string> {
  if (record.v === 4) return new Set(entriesOf(record).map((e) => e.avs));
  const persons = new Set<string>();
  for (const g of record.groups) for (const item of g.items) if (typeof item.persons !== 'number') for (const avs of item.persons) persons.add(avs);
  return persons;
}
