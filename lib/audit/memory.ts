// In-memory access log: the embedded default (one process, one log), a hash chain of records
// like the Redis one. Each record is kept as its serialised groups in a Buffer, outside the
// JavaScript heap: the log only grows, and kept as strings on the heap it made every garbage
// collection of the process dearer (some 5 ms CPU per 200-person caseload, bench/REPORT.md).
// Read back only when a DPO asks.
import {
  chain,
  entriesOf,
  entryCount,
  groupEntries,
  GENESIS_HASH,
  personsOf,
  recordOf,
  verifyChain,
  type ChainedRecord,
  type ChainVerdict,
  type EntryGroup,
} from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';

interface StoredRecord {
  seq: number;
  firstId: number;
  prevHash: string;
  hash: string;
  /** JSON of the record's groups (UTF-8). */
  groups: Buffer;
}

export class MemoryAuditLog implements AuditLog {
  private readonly records: StoredRecord[] = [];
  /** Per person, the indexes (into `records`) of the records holding their entries, ascending. */
  private readonly byPerson = new Map<string, number[]>();
  private nextId = 1;

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    return this.appendGroups(groupEntries(entries));
  }

  async appendGroups(groups: readonly EntryGroup[]): Promise<void> {
    const head = this.records.at(-1)?.hash ?? GENESIS_HASH;
    const count = entryCount(groups);
    if (count === 0) return;
    const { record, groupsBytes } = chain(head, recordOf(this.records.length + 1, this.nextId, groups));
    const index = this.records.length;
    this.records.push({ seq: record.seq, firstId: record.firstId, prevHash: record.prevHash, hash: record.hash, groups: groupsBytes });
    this.nextId += count;
    for (const avs of personsOf(record)) {
      const list = this.byPerson.get(avs);
      if (list) list.push(index);
      else this.byPerson.set(avs, [index]);
    }
  }

  async query(q: AccessLogQuery): Promise<AccessLogEntry[]> {
    const out: AccessLogEntry[] = [];
    const before = q.before === undefined ? Infinity : Number(q.before);
    const indexes = this.byPerson.get(q.avs) ?? [];
    const keep = (avs: string, caseReference: string | null) => avs === q.avs && (q.caseReference === undefined || caseReference === q.caseReference);
    for (let i = indexes.length - 1; i >= 0 && out.length < q.first; i--) {
      const stored = this.records[indexes[i]!]!;
      if (stored.firstId >= before) continue;
      const mine = entriesOf(this.unpack(stored), keep).filter((e) => Number(e.id) < before);
      for (let k = mine.length - 1; k >= 0 && out.length < q.first; k--) out.push(mine[k]!);
    }
    return out;
  }

  async verify(): Promise<ChainVerdict> {
    return verifyChain(this.records.map((r) => this.unpack(r)));
  }

  /** Every entry, oldest first (tests and the DPO tooling). */
  all(): AccessLogEntry[] {
    return this.records.flatMap((r) => entriesOf(this.unpack(r)));
  }

  async close(): Promise<void> {}

  private unpack(r: StoredRecord): ChainedRecord {
    return { seq: r.seq, firstId: r.firstId, prevHash: r.prevHash, hash: r.hash, groups: JSON.parse(r.groups.toString('utf8')) as EntryGroup[] };
  }
}
