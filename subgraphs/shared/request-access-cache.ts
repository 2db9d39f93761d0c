// The gateway may call a subgraph several times for one request (aliases, nested entities).
// Decisions belong to the gateway request, so each subgraph keeps a request's access
// decisions for a short while under the gateway's request id (signed into the credential,
// minted by the gateway, never taken from the client). Bounded in time and in size: entries
// leave when they expire, not only when the cache is full. Expiry walks a queue in insertion
// order, not the Map: iterating a Map from its start also walks the holes its deletions left.
import type { RequestFacts } from '../../lib/access/conditions/index.ts';
import type { Requester } from '../../lib/access/requester.ts';
import type { RequestDecisions } from './request-decisions.ts';

/**
 * Who asks and why, as one string: two calls share decisions only if it is the same. Each
 * part is length-prefixed, so no value can pass for another's boundary.
 */
export function requestFingerprint(r: Requester, facts: RequestFacts): string {
  let s = '';
  for (const part of [r.institution, r.role, r.subject, r.canton, r.client, facts.purpose, facts.caseReference]) {
    s += part === undefined ? '-|' : `${part.length}:${part}|`;
  }
  return s;
}

interface Entry<T> {
  readonly requestId: string;
  readonly access: T;
  readonly fingerprint: string;
  readonly expires: number;
}

export class RequestAccessCache<T = RequestDecisions> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Every entry made, in insertion order, which is expiry order (every entry lives ttlMs); from `head` on. */
  private queue: (Entry<T> | undefined)[] = [];
  private head = 0;

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(requestId: string, fingerprint: string, create: () => T): T {
    const now = this.now();
    while (this.head < this.queue.length && this.queue[this.head]!.expires <= now) this.dropOldest();
    const hit = this.entries.get(requestId);
    if (hit && hit.fingerprint === fingerprint) return hit.access;
    // Another requester under the same id is not the same request: its own decisions. The old
    // entry's place in the queue is left behind and skipped when its turn comes.
    if (hit) this.entries.delete(requestId);
    while (this.entries.size >= this.maxEntries) this.dropOldest(); // full: the oldest go
    const entry: Entry<T> = { requestId, access: create(), fingerprint, expires: now + this.ttlMs };
    this.entries.set(requestId, entry);
    this.queue.push(entry);
    return entry.access;
  }

  /** Requests whose decisions are kept now. */
  get size(): number {
    return this.entries.size;
  }

  private dropOldest(): void {
    const oldest = this.queue[this.head]!;
    this.queue[this.head++] = undefined;
    if (this.entries.get(oldest.requestId) === oldest) this.entries.delete(oldest.requestId);
    // The consumed front is cut off once it is half the queue: amortised O(1) per entry.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
