// Appends decided entries in batches: every entry decided in the same turn of the event loop
// (a caseload's decisions, several requests at once) goes to the log in one write, and each
// caller learns whether its entry was written.
import type { AuditLog, NewAccessLogEntry } from './log.ts';

export class AuditBatcher {
  private pending: { entry: NewAccessLogEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly log: AuditLog) {}

  append(entry: NewAccessLogEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
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
      await this.log.append(batch.map((p) => p.entry));
      batch.forEach((p) => p.resolve());
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    }
  }
}
