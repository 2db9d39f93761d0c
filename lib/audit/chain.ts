// The access log is a hash chain of records (lib/audit/record-format.ts). A record's hash
// covers the previous record's hash and the record itself, so an entry deleted, altered or
// inserted anywhere breaks its record's hash and every link after it.
import { recordEntryCount, recordHash, type ChainedRecord } from './record-format.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** Where a chain stands after a record: its number, the id of its last entry, its hash. */
export interface LogHead {
  seq: number;
  lastId: number;
  hash: string;
}

export const GENESIS: LogHead = { seq: 0, lastId: 0, hash: GENESIS_HASH };

/** Where a record sits, for a verdict a DPO can act on. */
export function describeRecord(seq: number, firstId: number, count?: number): string {
  if (count === undefined) return `record ${seq} (entries from ${firstId})`;
  return count === 1 ? `record ${seq} (entry ${firstId})` : `record ${seq} (entries ${firstId}–${firstId + count - 1})`;
}

export type ChainVerdict =
  | { ok: true; count: number; records: number; head: string }
  | { ok: false; count: number; firstBroken: string; reason: string };

/**
 * Checks records one at a time, in chain order, so a log of any size can be streamed through
 * it. Names the first record that does not hold: missing (deleted), its entries not following
 * on (entries deleted or inserted before it), a link to the wrong predecessor, or a hash that
 * does not match its content (altered). `count` is the number of entries verified before it.
 */
export class ChainVerifier {
  private prev: string;
  private records: number;
  private count: number;
  private broken: Extract<ChainVerdict, { ok: false }> | undefined;

  /** `from`: where the chain stands before the first record pushed (a log whose older records were archived and removed). */
  constructor(from: LogHead = GENESIS) {
    this.prev = from.hash;
    this.records = from.seq;
    this.count = from.lastId;
  }

  /**
   * `record` is null when the store has nothing under the next sequence number, 'unreadable'
   * when what it holds there is not a record. Returns false once broken.
   */
  push(record: ChainedRecord | null | 'unreadable'): boolean {
    if (this.broken) return false;
    const seq = this.records + 1;
    const firstId = this.count + 1;
    const fail = (where: string, reason: string) => {
      this.broken = { ok: false, count: this.count, firstBroken: where, reason };
      return false;
    };
    if (record === null) return fail(describeRecord(seq, firstId), `record ${seq} is missing`);
    if (record === 'unreadable') return fail(describeRecord(seq, firstId), `record ${seq} was altered (it is no longer a readable record)`);
    const n = recordEntryCount(record);
    const where = describeRecord(seq, firstId, n);
    if (record.seq !== seq || record.firstId !== firstId) {
      return fail(where, `record ${seq} is missing or was altered (found record ${record.seq} starting at entry ${record.firstId} in its place)`);
    }
    if (record.prevHash !== this.prev) return fail(where, `record ${seq} does not link to record ${seq - 1}`);
    if (recordHash(record) !== record.hash) return fail(where, `record ${seq} was altered (its hash does not match its content)`);
    this.prev = record.hash;
    this.records = seq;
    this.count += n;
    return true;
  }

  /** The verdict so far; `head` is the hash the log's head should hold. */
  verdict(): ChainVerdict {
    return this.broken ?? { ok: true, count: this.count, records: this.records, head: this.prev };
  }

  /** Where the chain stands after the last record that held. */
  position(): LogHead {
    return { seq: this.records, lastId: this.count, hash: this.prev };
  }
}

export function verifyChain(records: Iterable<ChainedRecord | null | 'unreadable'>): ChainVerdict {
  const verifier = new ChainVerifier();
  for (const r of records) if (!verifier.push(r)) break;
  return verifier.verdict();
}
