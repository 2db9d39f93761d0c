// The gateway may call a subgraph several times for one request (aliases, nested entities).
// Decisions belong to the gateway request, so each subgraph keeps a request's access
// decisions for a short while under the gateway's request id (signed into the credential,
// minted by the gateway, never taken from the client). Bounded in time and in size: entries
// leave when they expire, not only when the cache is full (a caseload's decisions are tens of
// KiB; kept until 10,000 had piled up, they were hundreds of MiB of live heap to collect).
import type { RequestAccess } from './request-access.ts';

export class RequestAccessCache<T = RequestAccess> {
  /** In insertion order, which is expiry order: every entry lives ttlMs. */
  private readonly entries = new Map<string, { access: T; fingerprint: string; expires: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(requestId: string, fingerprint: string, create: () => T): T {
    const now = this.now();
    this.dropExpired(now);
    const hit = this.entries.get(requestId);
    if (hit && hit.fingerprint === fingerprint) return hit.access;
    // Another requester under the same id is not the same request: its own decisions, and
    // the entry moves to the end so that insertion order stays expiry order.
    this.entries.delete(requestId);
    for (const id of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(id); // full: the oldest goes
    }
    const access = create();
    this.entries.set(requestId, { access, fingerprint, expires: now + this.ttlMs });
    return access;
  }

  /** Requests whose decisions are kept now. */
  get size(): number {
    return this.entries.size;
  }

  private dropExpired(now: number): void {
    for (const [id, e] of this.entries) {
      if (e.expires > now) break;
      this.entries.delete(id);
    }
  }
}
