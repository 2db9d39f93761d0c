// The access log is a hash chain of records. A record is one append: the decisions of a
// batch (a caseload's, or several requests' decided in the same turn), each an entry with its
// own id. A record's hash covers the previous record's hash and the record itself, so an
// entry deleted, altered or inserted anywhere breaks its record's hash and every link after.
//
// Why records and not one hash per entry: a caseload of 200 persons is ~2,800 decisions per
// request; one hash, one serialisation and one stored value per entry were most of the
// policy's cost (bench/REPORT.md, History); per batch, they are a small part of it.
import { hash } from 'node:crypto';
import type { AccessLogEntry, NewAccessLogEntry } from './log.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** One decision: whose data, which category, the outcome and what released it. */
export type EntryRow = [avs: string, category: string, decision: 'ALLOWED' | 'DENIED', legalBasis: string | null, consentId: string | null];

/**
 * The same decision for several persons in a row (a caseload: one category allowed under one
 * legal basis, or denied, for 200 persons): stated once, then their AVS numbers, one entry
 * each in that order. A caseload's record is a third of the bytes to serialise, hash and keep.
 * `persons` is the list, or the index in its group of an earlier run with its own list of the
 * same persons in the same order (see sharePersons): a caseload's categories are mostly
 * decided alike for the same persons, so their AVS numbers are written once per group.
 * Releases by consent are runs too: `consentId` is then the list of each person's consent
 * id, in the order of `persons` (a caseload's consents are one per person).
 */
export type EntryRun = [category: string, decision: 'ALLOWED' | 'DENIED', legalBasis: string | null, consentId: string | null | string[], persons: string[] | number];

/** A group holds rows and runs in entry order; a run is told apart by its persons (a list, or an index). */
export type EntryItem = EntryRow | EntryRun;

const isRun = (item: EntryItem): item is EntryRun => typeof item[4] === 'number' || Array.isArray(item[4]);

/** A run's persons, in a group's items: its own list, or that of the earlier run it names. */
function personsOfRun(items: readonly EntryItem[], run: EntryRun): string[] {
  const p = run[4];
  return typeof p === 'number' ? (items[p] as EntryRun)[4] as string[] : p;
}

/**
 * Makes each run whose persons are those of an earlier run of the same items (same persons,
 * same order) name that run instead of repeating the list. Runs are compared by length first,
 * then element by element: the same AVS strings, so mostly pointer comparisons.
 */
export function sharePersons(items: EntryItem[]): void {
  const lists: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!isRun(item) || typeof item[4] === 'number') continue;
    const mine = item[4];
    const same = lists.find((k) => sameList((items[k] as EntryRun)[4] as string[], mine));
    if (same === undefined) lists.push(i);
    else item[4] = same;
  }
}

/** The same strings in the same order (the same array, mostly). */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Consecutive entries that share when, who, why and where: stated once, then their rows. */
export type EntryGroup = [
  at: string,
  institution: AccessLogEntry['institution'],
  role: string,
  subject: string,
  purpose: string | null,
  caseReference: string | null,
  subgraph: string,
  requestId: string,
  rows: EntryItem[],
];

export interface LogRecord {
  /** 1, 2, ... in chain order. */
  seq: number;
  /** The id of its first entry; the others follow in order. */
  firstId: number;
  groups: EntryGroup[];
}

export interface ChainedRecord extends LogRecord {
  prevHash: string;
  hash: string;
}

/** Packs entries (in order) into groups: consecutive entries that share a header share a group. */
export function groupEntries(entries: readonly NewAccessLogEntry[]): EntryGroup[] {
  const groups: EntryGroup[] = [];
  let current: EntryGroup | undefined;
  for (const e of entries) {
    const purpose = e.purpose ?? null;
    const caseReference = e.caseReference ?? null;
    if (
      !current ||
      current[0] !== e.at ||
      current[1] !== e.institution ||
      current[2] !== e.role ||
      current[3] !== e.subject ||
      current[4] !== purpose ||
      current[5] !== caseReference ||
      current[6] !== e.subgraph ||
      current[7] !== e.requestId
    ) {
      current = [e.at, e.institution, e.role, e.subject, purpose, caseReference, e.subgraph, e.requestId, []];
      groups.push(current);
    }
    current[8].push([e.avs, e.category, e.decision, e.legalBasis ?? null, e.consentId ?? null]);
  }
  return groups;
}

export function recordOf(seq: number, firstId: number, groups: readonly EntryGroup[]): LogRecord {
  return { seq, firstId, groups: groups as EntryGroup[] };
}

export function entryCount(groups: readonly EntryGroup[]): number {
  let n = 0;
  for (const g of groups) for (const item of g[8]) n += isRun(item) ? personsOfRun(g[8], item).length : 1;
  return n;
}

/** Unpacks a record's entries, oldest first; `keep` filters before any object is built. */
export function entriesOf(record: LogRecord, keep?: (avs: string, caseReference: string | null) => boolean): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  let id = record.firstId;
  for (const [at, institution, role, subject, purpose, caseReference, subgraph, requestId, items] of record.groups) {
    const take = (avs: string, category: string, decision: 'ALLOWED' | 'DENIED', legalBasis: string | null, consentId: string | null) => {
      if (!keep || keep(avs, caseReference)) {
        out.push({ id: String(id), at, institution, role, subject, avs, category, decision, legalBasis, consentId, purpose, caseReference, subgraph, requestId });
      }
      id++;
    };
    for (const item of items) {
      if (isRun(item)) {
        const consents = item[3];
        personsOfRun(items, item).forEach((avs, k) => take(avs, item[0], item[1], item[2], Array.isArray(consents) ? consents[k]! : consents));
      }
      else take(item[0], item[1], item[2], item[3], item[4]);
    }
  }
  return out;
}

/** The persons a record holds entries of, each once. */
export function personsOf(record: Pick<LogRecord, 'groups'>): Set<string> {
  const persons = new Set<string>();
  for (const g of record.groups) {
    for (const item of g[8]) {
      if (!isRun(item)) persons.add(item[0]);
      // A run naming an earlier run adds no one new.
      else if (typeof item[4] !== 'number') for (const avs of item[4]) persons.add(avs);
    }
  }
  return persons;
}

export interface Linked {
  record: ChainedRecord;
  /** JSON of its groups, serialised once: hashed, and stored as it is. */
  groupsJson: string;
}

/**
 * A record's hash: SHA-256 of the previous record's hash, a newline and the canonical
 * serialisation `[seq,firstId,groups]` (arrays only, so key order cannot vary), the groups
 * given as their JSON so that a caller that has them serialised does not do it twice. One
 * string, hashed in one call: a Hash object per record cost more than the hashing itself.
 */
export function recordHash(prevHash: string, record: LogRecord, groupsJson = JSON.stringify(record.groups)): string {
  return hash('sha256', `${hashedBefore(prevHash, record.seq, record.firstId)}${groupsJson}${HASHED_AFTER}`, 'hex');
}

/** What a record's hash covers before its groups' JSON, and after it (see recordHash). */
export const hashedBefore = (prevHash: string, seq: number, firstId: number) => `${prevHash}\n[${seq},${firstId},`;
export const HASHED_AFTER = ']';

/** Links a record onto a chain whose last hash is `head`. */
export function chain(head: string, record: LogRecord): Linked {
  const groupsJson = JSON.stringify(record.groups);
  return { record: { ...record, prevHash: head, hash: recordHash(head, record, groupsJson) }, groupsJson };
}

/** Where a record sits, for a verdict a DPO can act on. */
export function describeRecord(seq: number, firstId: number, count?: number): string {
  if (count === undefined) return `record ${seq} (entries from ${firstId})`;
  return count === 1 ? `record ${seq} (entry ${firstId})` : `record ${seq} (entries ${firstId}–${firstId + count - 1})`;
}

export type ChainVerdict =
  | { ok: true; count: number; records: number; head: string }
  | { ok: false; count: number; firstBroken: string; reason: string };

/**
 * Checks records one at a time, in chain order, so a log of any size can be streamed through
 * it. Names the first record that does not hold: missing (deleted), its entries not following
 * on (entries deleted or inserted before it), a link to the wrong predecessor, or a hash that
 * does not match its content (altered). `count` is the number of entries verified before it.
 */
export class ChainVerifier {
  private prev = GENESIS_HASH;
  private records = 0;
  private count = 0;
  private broken: Extract<ChainVerdict, { ok: false }> | undefined;

  /**
   * `record` is null when the store has nothing under the next sequence number, 'unreadable'
   * when what it holds there is not a record. Returns false once broken.
   */
  push(record: ChainedRecord | null | 'unreadable'): boolean {
    if (this.broken) return false;
    const seq = this.records + 1;
    const firstId = this.count + 1;
    const fail = (where: string, reason: string) => {
      this.broken = { ok: false, count: this.count, firstBroken: where, reason };
      return false;
    };
    if (record === null) return fail(describeRecord(seq, firstId), `record ${seq} is missing`);
    if (record === 'unreadable') return fail(describeRecord(seq, firstId), `record ${seq} was altered (it is no longer a readable record)`);
    const n = entryCount(record.groups);
    const where = describeRecord(seq, firstId, n);
    if (record.seq !== seq || record.firstId !== firstId) {
      return fail(where, `record ${seq} is missing or was altered (found record ${record.seq} starting at entry ${record.firstId} in its place)`);
    }
    if (record.prevHash !== this.prev) return fail(where, `record ${seq} does not link to record ${seq - 1}`);
    if (recordHash(this.prev, record) !== record.hash) return fail(where, `record ${seq} was altered (its hash does not match its content)`);
    this.prev = record.hash;
    this.records = seq;
    this.count += n;
    return true;
  }

  /** The verdict so far; `head` is the hash the log's head should hold. */
  verdict(): ChainVerdict {
    return this.broken ?? { ok: true, count: this.count, records: this.records, head: this.prev };
  }
}

export function verifyChain(records: Iterable<ChainedRecord>): ChainVerdict {
  const verifier = new ChainVerifier();
  for (const r of records) if (!verifier.push(r)) break;
  return verifier.verdict();
}

/** Reads a stored record (JSON); null when it is not one. Its hash is checked by the verifier, not here. */
export function parseRecord(raw: string): ChainedRecord | null {
  try {
    const r = JSON.parse(raw) as Partial<ChainedRecord> | null;
    if (typeof r !== 'object' || r === null) return null;
    const ok =
      Number.isSafeInteger(r.seq) &&
      Number.isSafeInteger(r.firstId) &&
      typeof r.prevHash === 'string' &&
      typeof r.hash === 'string' &&
      Array.isArray(r.groups) &&
      r.groups.every((g) => Array.isArray(g) && g.length === 9 && Array.isArray(g[8]) && g[8].every(isItem));
    return ok ? (r as ChainedRecord) : null;
  } catch {
    return null;
  }
}

const isEntryString = (v: unknown) => typeof v === 'string';
/** A row, a run with its list, or a run naming an earlier run of its group that has its own list. */
const isItem = (item: unknown, i: number, items: readonly unknown[]): boolean => {
  if (!Array.isArray(item) || item.length !== 5 || !isEntryString(item[0])) return false;
  const p: unknown = item[4];
  let persons: unknown;
  if (typeof p === 'number') {
    const named: unknown = Number.isInteger(p) && p >= 0 && p < i ? items[p] : undefined;
    persons = Array.isArray(named) ? named[4] : undefined;
  } else {
    persons = p;
  }
  if (!Array.isArray(persons)) return typeof p !== 'number' && isEntryString(item[1]) && !Array.isArray(item[3]);
  if (persons.length === 0 || !persons.every(isEntryString)) return false;
  // A run's consent ids, if listed, are one per person.
  const consents: unknown = item[3];
  return !Array.isArray(consents) || (consents.length === persons.length && consents.every(isEntryString));
};

/** The stored form of a record: what Redis holds, and what a DPO reads with redis-cli. */
export function serializeRecord({ record: r, groupsJson }: Linked): string {
  return `{"seq":${r.seq},"firstId":${r.firstId},"prevHash":${JSON.stringify(r.prevHash)},"hash":${JSON.stringify(r.hash)},"groups":${groupsJson}}`;
}
