// Appends decided entries in batches: every batch appended before the current tick's queue
// drains (the decisions of several subgraph requests resolved together) goes to the log in
// one write, one record of the chain, and each caller learns whether its batch was written.
// A tick, not a turn of the event loop (setImmediate): waiting for the next turn cost every
// subgraph request an extra loop iteration and its answer a later, separate write.
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
        process.nextTick(() => void this.flush());
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
