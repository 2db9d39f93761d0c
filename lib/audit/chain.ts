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
 * Checks entries in sequence order (ids "1", "2", ...). Names the first entry that does not
 * hold: a gap in the sequence (deleted), a hash that does not match its content (altered),
 * or a link to the wrong predecessor (deleted, reordered or inserted).
 */
export function verifyChain(entries: Iterable<ChainedEntry>): ChainVerdict {
  let prev = GENESIS_HASH;
  let expectedId = 1;
  let count = 0;
  for (const e of entries) {
    if (e.id !== String(expectedId)) {
      return { ok: false, count, firstBroken: String(expectedId), reason: `entry ${expectedId} is missing (next is ${e.id})` };
    }
    if (e.prevHash !== prev) return { ok: false, count, firstBroken: e.id, reason: `entry ${e.id} does not link to entry ${expectedId - 1}` };
    if (entryHash(prev, e) !== e.hash) return { ok: false, count, firstBroken: e.id, reason: `entry ${e.id} was altered (its hash does not match its content)` };
    prev = e.hash;
    expectedId++;
    count++;
  }
  return { ok: true, count, head: prev };
}
