// The journal: what the decision core hands its decisions to. It encodes them into groups
// (lib/audit/record-format.ts) and appends them to the access log, acknowledging each caller
// once its groups are durably written. Group commit, the one place it happens: while a write
// is in flight, what is journaled meanwhile waits and goes to the log together, as one record.
import type { Decision } from '../access/decision.ts';
import type { AuditLog } from './log.ts';
import { entryCount, groupOfActions, groupOfDecisions, type ActionEntry, type GroupHeader, type LogGroup } from './record-format.ts';

/** Most entries one record takes from the waiting appends (a single larger append is still one record). */
const MAX_ENTRIES_PER_RECORD = 20_000;

interface Waiting {
  groups: readonly LogGroup[];
  entries: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Journal {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(readonly log: AuditLog) {}

  /** Journals one request's decisions as one group; resolves once written, rejects if the log cannot be written. */
  decisions(header: GroupHeader, decisions: readonly Decision[]): Promise<void> {
    if (decisions.length === 0) return Promise.resolve();
    return this.append([groupOfDecisions(header, decisions)]);
  }

  /** Journals actions on consents and cases as one group. */
  actions(header: GroupHeader, actions: readonly ActionEntry[]): Promise<void> {
    return this.append([groupOfActions(header, actions)]);
  }

  /** Journals groups made elsewhere. */
  append(groups: readonly LogGroup[]): Promise<void> {
    const entries = entryCount(groups);
    if (entries === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ groups, entries, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      let take = 0;
      let entries = 0;
      while (take < this.waiting.length && (take === 0 || entries + this.waiting[take]!.entries <= MAX_ENTRIES_PER_RECORD)) entries += this.waiting[take++]!.entries;
      const batch = this.waiting.splice(0, take);
      try {
        await this.log.appendGroups(batch.flatMap((w) => w.groups));
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.writing = false;
  }
}
