// In-memory access log: the embedded default (one process, one log).
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';

export class MemoryAuditLog implements AuditLog {
  private readonly entries: AccessLogEntry[] = [];
  private seq = 0;

  async append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    for (const e of entries) this.entries.push({ ...e, id: String(++this.seq) });
  }

  async query(q: AccessLogQuery): Promise<AccessLogEntry[]> {
    const out: AccessLogEntry[] = [];
    const before = q.before === undefined ? Infinity : Number(q.before);
    for (let i = this.entries.length - 1; i >= 0 && out.length < q.first; i--) {
      const e = this.entries[i]!;
      if (Number(e.id) >= before || e.avs !== q.avs) continue;
      if (q.caseReference !== undefined && e.caseReference !== q.caseReference) continue;
      out.push({ ...e });
    }
    return out;
  }

  /** Every entry, oldest first (tests and the DPO tooling). */
  all(): AccessLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  async close(): Promise<void> {}
}
