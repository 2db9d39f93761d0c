// The access log is a hash chain: each entry's hash covers the previous entry's hash and the
// entry itself, so an entry deleted, altered or inserted anywhere breaks every hash after it.
import { createHash } from 'node:crypto';
import type { AccessLogEntry } from './log.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEntry extends AccessLogEntry {
  prevHash: string;
  hash: string;
}

const FIELDS = [
  'id', 'at', 'institution', 'role', 'subject', 'avs', 'category', 'decision',
  'legalBasis', 'consentId', 'purpose', 'caseReference', 'subgraph', 'requestId',
] as const satisfies readonly (keyof AccessLogEntry)[];

/** A canonical serialisation: fixed field order, so the hash does not depend on key order. */
export function canonical(entry: AccessLogEntry): string {
  return JSON.stringify(FIELDS.map((f) => entry[f] ?? null));
}

export function entryHash(prevHash: string, entry: AccessLogEntry): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical(entry)).digest('hex');
}

/** Links entries (ids already assigned, in order) onto a chain whose last hash is `head`. */
export function chain(head: string, entries: readonly AccessLogEntry[]): ChainedEntry[] {
  let prev = head;
  return entries.map((e) => {
    const hash = entryHash(prev, e);
    const linked = { ...e, prevHash: prev, hash };
    prev = hash;
    return linked;
  });
}

export type ChainVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBroken: string; reason: string };

/**
 * Checks entries one at a time, in sequence order (ids "1", "2", ...), so a log of any size
 * can be streamed through it. Names the first entry that does not hold: a gap in the
 * sequence (deleted), a hash that does not match its content (altered), or a link to the
 * wrong predecessor (deleted, reordered or inserted).
 */
export class ChainVerifier {
  private prev = GENESIS_HASH;
  private count = 0;
  private broken: Extract<ChainVerdict, { ok: false }> | undefined;

  /** `entry` is null when the store has nothing under the next id. Returns false once broken. */
  push(entry: ChainedEntry | null): boolean {
    if (this.broken) return false;
    const id = String(this.count + 1);
    const fail = (reason: string) => {
      this.broken = { ok: false, count: this.count, firstBroken: id, reason };
      return false;
    };
    if (entry === null) return fail(`entry ${id} is missing`);
    if (entry.id !== id) return fail(`entry ${id} is missing or was altered (found entry ${entry.id} in its place)`);
    if (entry.prevHash !== this.prev) return fail(`entry ${id} does not link to entry ${this.count}`);
    if (entryHash(this.prev, entry) !== entry.hash) return fail(`entry ${id} was altered (its hash does not match its content)`);
    this.prev = entry.hash;
    this.count++;
    return true;
  }

  /** The verdict so far; `head` is the hash the log's head should hold. */
  verdict(): ChainVerdict {
    return this.broken ?? { ok: true, count: this.count, head: this.prev };
  }
}

export function verifyChain(entries: Iterable<ChainedEntry>): ChainVerdict {
  const verifier = new ChainVerifier();
  for (const e of entries) if (!verifier.push(e)) break;
  return verifier.verdict();
}
