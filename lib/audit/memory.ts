// In-memory access log: the embedded default (one process, one log), a hash chain of records
// like the Redis one, kept as the text a store would hold and read back only when a DPO asks.
// It keeps checkpoints and a retention mark like the Redis store, so sealing and verifying
// read the same whichever store a stack uses.
import { ChainVerifier, GENESIS, type ChainVerdict, type LogHead } from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, LogStore, NewAccessLogEntry, PersonIndex, StoreSnapshot } from './log.ts';
import { entriesOf, entryCount, groupsOfEntries, linkRecord, parseStoredRecord, personsOf, type ChainedRecord, type LogGroup } from './record-format.ts';
import { markHead, parseMark } from './retention.ts';

export class MemoryAuditLog implements AuditLog, LogStore {
  readonly where = 'memory';
  /** Record seq k is stored[k - 1 - removed]. */
  private stored: string[] = [];
  /** Records removed by retention (1..removed). */
  private removed = 0;
  private head: LogHead = GENESIS;
  /** Per person, the sequence numbers of the records holding their entries, ascending. */
  private byPerson = new Map<string, number[]>();
  /** Records indexed in byPerson so far: the index is built when read, not on every append. */
  private indexed = 0;
  private mark: string | null = null;
  private readonly checkpoints = new Map<string, string>();
  private latestCheckpoint: string | null = null;
  private readonly listeners: Array<(head: LogHead) => void> = [];

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    return this.appendGroups(groupsOfEntries(entries));
  }

  async appendGroups(groups: readonly LogGroup[]): Promise<void> {
    const count = entryCount(groups);
    if (count === 0) return;
    const { record, stored } = linkRecord(this.head.hash, this.head.seq + 1, this.head.lastId + 1, groups);
    this.stored.push(stored);
    this.head = { seq: record.seq, lastId: record.firstId + count - 1, hash: record.hash };
    for (const l of this.listeners) l(this.head);
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
    const mark = this.mark === null ? null : parseMark(this.mark);
    const verifier = new ChainVerifier(mark ? markHead(mark) : GENESIS);
    for (let seq = this.removed + 1; seq <= this.head.seq; seq++) if (!verifier.push(this.recordAt(seq))) break;
    return verifier.verdict();
  }

  async since(at: string): Promise<AccessLogEntry[]> {
    return this.all().filter((e) => e.at >= at);
  }

  /** Every entry kept, oldest first (tests and the DPO tooling). */
  all(): AccessLogEntry[] {
    return this.stored.flatMap((_, i) => entriesOf(this.recordAt(this.removed + i + 1)));
  }

  async close(): Promise<void> {}

  async snapshot(opts: { checkpoints?: boolean } = {}): Promise<StoreSnapshot> {
    return {
      head: this.head,
      mark: this.mark,
      records: this.stored.length,
      latestCheckpoint: this.latestCheckpoint,
      ...(opts.checkpoints ? { checkpoints: [...this.checkpoints].map(([n, text]) => ({ n, text })) } : {}),
    };
  }

  async *records(from: number, to: number): AsyncGenerator<{ seq: number; raw: string | null }> {
    for (let seq = from; seq <= to; seq++) yield { seq, raw: this.stored[seq - 1 - this.removed] ?? null };
  }

  personIndexes(): null {
    return null;
  }

  /** The index as built from the records (tests compare it with what a verifier expects). */
  index(): PersonIndex[] {
    this.catchUpIndex();
    return [...this.byPerson].map(([avs, seqs]) => ({ avs, records: seqs.map((seq) => ({ seq, firstId: this.recordAt(seq).firstId })) }));
  }

  async addCheckpoint(expectedLatest: string | null, n: number, text: string): Promise<boolean> {
    if (this.latestCheckpoint !== expectedLatest) return false;
    this.checkpoints.set(String(n), text);
    this.latestCheckpoint = text;
    return true;
  }

  async prune(expectedMark: string | null, mark: string, cut: { seqs: number[]; lastId: number; persons: string[]; checkpoints: string[] }): Promise<boolean> {
    if (this.mark !== expectedMark) return false;
    const through = parseMark(mark);
    if (!through || cut.seqs.some((s) => s !== this.removed + 1 + cut.seqs.indexOf(s))) throw new Error('memory log: records are removed from the start only');
    this.stored = this.stored.slice(through.seq - this.removed);
    this.removed = through.seq;
    this.mark = mark;
    for (const n of cut.checkpoints) this.checkpoints.delete(n);
    this.byPerson = new Map();
    this.indexed = this.removed;
    return true;
  }

  onAppended(listener: (head: LogHead) => void): void {
    this.listeners.push(listener);
  }

  private recordAt(seq: number): ChainedRecord {
    const record = parseStoredRecord(this.stored[seq - 1 - this.removed]!);
    if (!record) throw new Error(`access log: record ${seq} in memory is unreadable`);
    return record;
  }

  private catchUpIndex(): void {
    for (; this.indexed < this.removed + this.stored.length; this.indexed++) {
      const seq = this.indexed + 1;
      for (const avs of personsOf(this.recordAt(seq))) {
        let seqs = this.byPerson.get(avs);
        if (!seqs) this.byPerson.set(avs, (seqs = []));
        seqs.push(seq);
      }
    }
  }
}
