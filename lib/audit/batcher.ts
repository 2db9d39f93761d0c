// Appends decided entries in batches: every batch appended in the same turn of the event loop
// (a caseload's decisions, several requests at once) goes to the log in one write, one record
// of the chain, and each caller learns whether its batch was written.
import type { EntryGroup } from './chain.ts';
import type { AuditLog } from './log.ts';

export class AuditBatcher {
  private pending: { groups: readonly EntryGroup[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly log: AuditLog) {}

  append(groups: readonly EntryGroup[]): Promise<void> {
    if (groups.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ groups, resolve, reject });
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
      await this.log.appendGroups(batch.length === 1 ? batch[0]!.groups : batch.flatMap((p) => p.groups));
      batch.forEach((p) => p.resolve());
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    }
  }
}
