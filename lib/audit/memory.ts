// In-memory access log: the embedded default (one process, one log), a hash chain of records
// like the Redis one. It only grows, so it keeps nothing per record on the JavaScript heap:
// each record's serialised groups go into large byte chunks, its hash into a byte table, and
// where they sit into typed arrays. One object (hash strings, a Buffer) per record made every
// garbage collection of the process dearer as the log grew: a third of the policy's cost per
// request in the split benchmark (bench/README.md). Read back only when a DPO asks.
import { hash } from 'node:crypto';
import {
  entriesOf,
  entryCount,
  groupEntries,
  GENESIS_HASH,
  HASHED_AFTER,
  hashedBefore,
  personsOf,
  verifyChain,
  type ChainedRecord,
  type ChainVerdict,
  type EntryGroup,
} from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';

/** Bytes per chunk of serialised records (a record larger than this gets a chunk of its own). */
const CHUNK_BYTES = 4 * 1024 * 1024;
const HASH_BYTES = 32;

/** A growable column of numbers, off the heap (a typed array, doubled when full). */
class Column {
  private values: Float64Array;
  /** Values set so far (the highest index set + 1). */
  length = 0;
  constructor(capacity = 1024) {
    this.values = new Float64Array(capacity);
  }
  get(i: number): number {
    return this.values[i]!;
  }
  set(i: number, value: number): void {
    if (i >= this.values.length) {
      const bigger = new Float64Array(Math.max(this.values.length * 2, i + 1));
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[i] = value;
    if (i >= this.length) this.length = i + 1;
  }
  push(value: number): void {
    this.set(this.length, value);
  }
}

export class MemoryAuditLog implements AuditLog {
  /** Records are numbered 0.. here (their seq is index + 1). */
  private count = 0;
  private readonly firstId = new Column();
  private readonly chunkOf = new Column();
  private readonly offsetOf = new Column();
  private readonly lengthOf = new Column();
  private readonly chunks: Buffer[] = [];
  private chunkUsed = CHUNK_BYTES;
  private hashes = Buffer.allocUnsafeSlow(HASH_BYTES * 1024);
  private head = GENESIS_HASH;
  /** Per person, the indexes of the records holding their entries, ascending (off the heap too: one per person per record). */
  private readonly byPerson = new Map<string, Column>();
  /** Records indexed in byPerson so far (see catchUpIndex). */
  private indexed = 0;
  private nextId = 1;

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    return this.appendGroups(groupEntries(entries));
  }

  async appendGroups(groups: readonly EntryGroup[]): Promise<void> {
    const count = entryCount(groups);
    if (count === 0) return;
    const index = this.count;
    // The bytes the hash covers are written once, into the log's chunk, and hashed there: the
    // groups' JSON is encoded once, not once to hash and once to keep.
    const hash = this.store(index, hashedBefore(this.head, index + 1, this.nextId), JSON.stringify(groups));
    this.firstId.set(index, this.nextId);
    this.head = hash;
    this.count = index + 1;
    this.nextId += count;
  }

  /**
   * Indexes, by person, the records appended since the last query: on the DPO's first query
   * rather than on every append (the index is for reading, which is rare; appends are many).
   */
  private catchUpIndex(): void {
    for (; this.indexed < this.count; this.indexed++) {
      for (const avs of personsOf({ groups: this.groupsAt(this.indexed) })) {
        let list = this.byPerson.get(avs);
        if (!list) this.byPerson.set(avs, (list = new Column(8)));
        list.push(this.indexed);
      }
    }
  }

  async query(q: AccessLogQuery): Promise<AccessLogEntry[]> {
    const out: AccessLogEntry[] = [];
    const before = q.before === undefined ? Infinity : Number(q.before);
    this.catchUpIndex();
    const indexes = this.byPerson.get(q.avs) ?? new Column(0);
    const keep = (avs: string, caseReference: string | null) => avs === q.avs && (q.caseReference === undefined || caseReference === q.caseReference);
    for (let i = indexes.length - 1; i >= 0 && out.length < q.first; i--) {
      const index = indexes.get(i);
      if (this.firstId.get(index) >= before) continue;
      const mine = entriesOf(this.recordAt(index), keep).filter((e) => Number(e.id) < before);
      for (let k = mine.length - 1; k >= 0 && out.length < q.first; k--) out.push(mine[k]!);
    }
    return out;
  }

  async verify(): Promise<ChainVerdict> {
    return verifyChain(this.allRecords());
  }

  /** Every entry, oldest first (tests and the DPO tooling). */
  all(): AccessLogEntry[] {
    const out: AccessLogEntry[] = [];
    for (const r of this.allRecords()) out.push(...entriesOf(r));
    return out;
  }

  async close(): Promise<void> {}

  private *allRecords(): Generator<ChainedRecord> {
    for (let i = 0; i < this.count; i++) yield this.recordAt(i);
  }

  /** Keeps a record (what its hash covers: `before`, the groups' JSON, HASHED_AFTER) and returns its hash. */
  private store(index: number, before: string, groupsJson: string): string {
    const units = before.length + groupsJson.length + HASHED_AFTER.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: with that much room left, no need to measure first.
    const room = this.chunks.length === 0 ? 0 : CHUNK_BYTES - this.chunkUsed;
    if (units * 3 > room) {
      const bytes = Buffer.byteLength(before) + Buffer.byteLength(groupsJson, 'utf8') + HASHED_AFTER.length;
      if (bytes > room) {
        this.chunks.push(Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, bytes)));
        this.chunkUsed = 0;
      }
    }
    const chunk = this.chunks.length - 1;
    const into = this.chunks[chunk]!;
    const start = this.chunkUsed;
    const groupsAt = start + into.write(before, start, 'utf8');
    const groupsEnd = groupsAt + into.write(groupsJson, groupsAt, 'utf8');
    const end = groupsEnd + into.write(HASHED_AFTER, groupsEnd, 'utf8');
    this.chunkUsed = end;
    this.chunkOf.set(index, chunk);
    this.offsetOf.set(index, groupsAt);
    this.lengthOf.set(index, groupsEnd - groupsAt);
    const digest = hash('sha256', into.subarray(start, end), 'hex');
    if ((index + 1) * HASH_BYTES > this.hashes.length) {
      const bigger = Buffer.allocUnsafeSlow(this.hashes.length * 2);
      this.hashes.copy(bigger);
      this.hashes = bigger;
    }
    this.hashes.write(digest, index * HASH_BYTES, HASH_BYTES, 'hex');
    return digest;
  }

  private hashAt(index: number): string {
    return index < 0 ? GENESIS_HASH : this.hashes.toString('hex', index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  private groupsAt(index: number): EntryGroup[] {
    const offset = this.offsetOf.get(index);
    return JSON.parse(this.chunks[this.chunkOf.get(index)]!.toString('utf8', offset, offset + this.lengthOf.get(index))) as EntryGroup[];
  }

  private recordAt(index: number): ChainedRecord {
    return { seq: index + 1, firstId: this.firstId.get(index), prevHash: this.hashAt(index - 1), hash: this.hashAt(index), groups: this.groupsAt(index) };
  }
}
