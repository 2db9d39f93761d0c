// Remembers what a token verified to, keyed by the exact token string, so that a case
// platform sending the same bearer token on every request is not re-verified each time.
// Only the caller decides what goes in (tokens that verified) and until when (never past
// the token's own validity); an entry is never served at or after that instant. Bounded:
// at the cap the oldest entry goes, so memory stays flat whatever the traffic.
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; validUntilMs: number }>();

  constructor(private readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** What the token verified to, while it is still valid at `nowMs`; undefined otherwise. */
  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (!(nowMs < entry.validUntilMs)) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps a verified token until `validUntilMs` (exclusive); an already invalid one is not kept. */
  set(token: string, value: T, validUntilMs: number, nowMs: number): void {
    if (this.maxEntries === 0 || !(validUntilMs > nowMs)) return;
    this.entries.delete(token);
    // Map iteration is insertion order: the first key is the oldest entry.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { value, validUntilMs });
  }
}
