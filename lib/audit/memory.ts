// In-memory access log: the embedded default (one process, one log), hash-chained like the
// Redis one.
import { chain, GENESIS_HASH, verifyChain, type ChainedEntry, type ChainVerdict } from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';

export class MemoryAuditLog implements AuditLog {
  protected readonly entries: ChainedEntry[] = [];

  async append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    const head = this.entries.at(-1)?.hash ?? GENESIS_HASH;
    const start = this.entries.length;
    this.entries.push(...chain(head, entries.map((e, i) => ({ ...e, id: String(start + i + 1) }))));
  }

  async query(q: AccessLogQuery): Promise<AccessLogEntry[]> {
    const out: AccessLogEntry[] = [];
    const before = q.before === undefined ? Infinity : Number(q.before);
    for (let i = this.entries.length - 1; i >= 0 && out.length < q.first; i--) {
      const e = this.entries[i]!;
      if (Number(e.id) >= before || e.avs !== q.avs) continue;
      if (q.caseReference !== undefined && e.caseReference !== q.caseReference) continue;
      out.push(strip(e));
    }
    return out;
  }

  async verify(): Promise<ChainVerdict> {
    return verifyChain(this.entries);
  }

  /** Every entry, oldest first (tests and the DPO tooling). */
  all(): AccessLogEntry[] {
    return this.entries.map(strip);
  }

  async close(): Promise<void> {}
}

function strip({ prevHash: _p, hash: _h, ...entry }: ChainedEntry): AccessLogEntry {
  return entry;
}
