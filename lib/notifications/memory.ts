// In-memory notification store: the embedded default (one process).
import type { Institution } from '../schema/catalogue.ts';
import type { Observation } from './observation.ts';
import type { DeadLetter, DueDelivery, NewNotification, Notification, NotificationStore, Tally } from './store.ts';

export class MemoryNotificationStore implements NotificationStore {
  private readonly seen = new Map<string, Observation>();
  private readonly handledIds = new Set<string>();
  private readonly byId = new Map<string, Notification>();
  private readonly outbox = new Map<string, { dueAt: string; attempts: number }>();
  private readonly dead = new Map<string, Omit<DeadLetter, 'notification'>>();
  private seq = 0;
  private readonly counts = new Map<string, Tally>();

  async count(decided: readonly { rule: string; recipient: Institution; delivered: boolean }[]): Promise<void> {
    for (const d of decided) {
      const key = `${d.rule}|${d.recipient}`;
      const t = this.counts.get(key) ?? { rule: d.rule, recipient: d.recipient, delivered: 0, refused: 0 };
      if (d.delivered) t.delivered++;
      else t.refused++;
      this.counts.set(key, t);
    }
  }

  async tallies(): Promise<Tally[]> {
    return [...this.counts.values()].map((t) => ({ ...t }));
  }

  async observations(institution: Institution, avs: readonly string[]): Promise<Map<string, Observation>> {
    const found = new Map<string, Observation>();
    for (const a of avs) {
      const o = this.seen.get(`${institution}|${a}`);
      if (o) found.set(a, o);
    }
    return found;
  }

  async observe(institution: Institution, observations: ReadonlyMap<string, Observation>): Promise<void> {
    for (const [avs, o] of observations) this.seen.set(`${institution}|${avs}`, o);
  }

  async handled(eventIds: readonly string[]): Promise<Set<string>> {
    return new Set(eventIds.filter((id) => this.handledIds.has(id)));
  }

  async markHandled(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.handledIds.add(id);
  }

  async add(notifications: readonly NewNotification[], webhookRecipients: ReadonlySet<Institution>): Promise<Notification[]> {
    return notifications.map((n) => {
      const stored = this.byId.get(n.id);
      if (stored) return stored;
      const added: Notification = { ...n, seq: ++this.seq };
      this.byId.set(n.id, added);
      if (webhookRecipients.has(n.recipient)) this.outbox.set(n.id, { dueAt: n.decidedAt, attempts: 0 });
      return added;
    });
  }

  async since(recipient: Institution, after: number, limit: number): Promise<Notification[]> {
    return [...this.byId.values()].filter((n) => n.recipient === recipient && n.seq > after).sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  async claimDue(now: string, limit: number, leaseUntil: string): Promise<DueDelivery[]> {
    const due = [...this.outbox.entries()]
      .filter(([, o]) => Date.parse(o.dueAt) <= Date.parse(now))
      .sort((a, b) => Date.parse(a[1].dueAt) - Date.parse(b[1].dueAt))
      .slice(0, limit);
    for (const [, o] of due) o.dueAt = leaseUntil;
    return due.map(([id, o]) => ({ notification: this.byId.get(id)!, attempts: o.attempts }));
  }

  async delivered(id: string): Promise<void> {
    this.outbox.delete(id);
  }

  async failed(id: string, attempts: number, retryAt: string | null, error: string, now: string): Promise<void> {
    if (!this.outbox.has(id)) return;
    if (retryAt === null) {
      this.outbox.delete(id);
      this.dead.set(id, { attempts, lastError: error, deadAt: now });
    } else this.outbox.set(id, { dueAt: retryAt, attempts });
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return [...this.dead.entries()].map(([id, d]) => ({ notification: this.byId.get(id)!, ...d }));
  }

  async retryDeadLetter(id: string, now: string): Promise<boolean> {
    const d = this.dead.get(id);
    if (!d) return false;
    this.dead.delete(id);
    this.outbox.set(id, { dueAt: now, attempts: d.attempts });
    return true;
  }

  async close(): Promise<void> {}
}
