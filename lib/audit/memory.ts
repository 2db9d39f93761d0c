// In-memory access log: the embedded default (one process, one log), a hash chain of records
// like the Redis one, kept as the text a store would hold and read back only when a DPO asks.
import { ChainVerifier, GENESIS_HASH, type ChainVerdict } from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';
import { entriesOf, entryCount, groupsOfEntries, linkRecord, parseStoredRecord, personsOf, type ChainedRecord, type LogGroup } from './record-format.ts';

export class MemoryAuditLog implements AuditLog {
  /** Record seq k is stored[k - 1]. */
  private readonly stored: string[] = [];
  private head = GENESIS_HASH;
  private nextId = 1;
  /** Per person, the sequence numbers of the records holding their entries, ascending. */
  private readonly byPerson = new Map<string, number[]>();
  /** Records indexed in byPerson so far: the index is built when read, not on every append. */
  private indexed = 0;

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    return this.appendGroups(groupsOfEntries(entries));
  }

  async appendGroups(groups: readonly LogGroup[]): Promise<void> {
    const count = entryCount(groups);
    if (count === 0) return;
    const { record, stored } = linkRecord(this.head, this.stored.length + 1, this.nextId, groups);
    this.stored.push(stored);
    this.head = record.hash;
    this.nextId += count;
  }

  async query(q: AccessLogQuery): Promise<AccessLogEntry[]> {
    this.catchUpIndex();
    const before = q.before === undefined ? Infinity : Number(q.before);
    const keep = (avs: string, caseReference: string | null) => avs === q.avs && (q.caseReference === undefined || caseReference === q.caseReference);
    const out: AccessLogEntry[] = [];
    const seqs = this.byPerson.get(q.avs) ?? [];
    for (let i = seqs.length - 1; i >= 0 && out.length < q.first; i--) {
      const mine = entriesOf(this.recordAt(seqs[i]!), keep).filter((e) => Number(e.id) < before);
      for (let k = mine.length - 1; k >= 0 && out.length < q.first; k--) out.push(mine[k]!);
    }
    return out;
  }

  async verify(): Promise<ChainVerdict> {
    const verifier = new ChainVerifier();
    for (let seq = 1; seq <= this.stored.length; seq++) if (!verifier.push(this.recordAt(seq))) break;
    return verifier.verdict();
  }

  async since(at: string): Promise<AccessLogEntry[]> {
    return this.all().filter((e) => e.at >= at);
  }

  /** Every entry, oldest first (tests and the DPO tooling). */
  all(): AccessLogEntry[] {
    return this.stored.flatMap((_, i) => entriesOf(this.recordAt(i + 1)));
  }

  async close(): Promise<void> {}

  private recordAt(seq: number): ChainedRecord {
    const record = parseStoredRecord(this.stored[seq - 1]!);
    if (!record) throw new Error(`access log: record ${seq} in memory is unreadable`);
    return record;
  }

  private catchUpIndex(): void {
    for (; this.indexed < this.stored.length; this.indexed++) {
      const seq = this.indexed + 1;
      for (const avs of personsOf(this.recordAt(seq))) {
        let seqs = this.byPerson.get(avs);
        if (!seqs) this.byPerson.set(avs, (seqs = []));
        seqs.push(seq);
      }
    }
  }
}
