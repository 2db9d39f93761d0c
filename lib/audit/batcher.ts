// Appends decided entries in batches: every batch appended in the same turn of the event loop
// (a caseload's decisions, several requests at once) goes to the log in one write, one record
// of the chain, and each caller learns whether its batch was written.
import type { AuditLog, NewAccessLogEntry } from './log.ts';

export class AuditBatcher {
  private pending: { entries: readonly NewAccessLogEntry[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly log: AuditLog) {}

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ entries, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    try {
      await this.log.append(batch.length === 1 ? batch[0]!.entries : batch.flatMap((p) => p.entries));
      batch.forEach((p) => p.resolve());
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    }
  }
}
