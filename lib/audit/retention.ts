// Retention: records older than the configured period leave the live log, but only once a
// verified archive holds them (lib/audit/archive.ts). What stays behind is a signed retention
// mark: "records up to N (entries up to E, hash H) and checkpoints up to number C (digest D)
// were archived and removed". The live log's chain then starts from the mark, and a verifier
// without the archive still knows where it must start: an unsigned starting point would let
// anyone with write access to Redis cut the log's beginning.
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { GENESIS_HASH, type LogHead } from './chain.ts';
import { checkpointDigest, type Checkpoint } from './checkpoint.ts';
import type { LogStore } from './log.ts';
import { headAfter, personsOf, parseStoredRecord } from './record-format.ts';
import type { LogSigner, TrustedKeys } from './signing-keys.ts';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Count = z.number().int().min(0);

const MarkText = z.strictObject({
  v: z.literal(1),
  /** The last record removed, its last entry id and its hash: the live chain goes on from it. */
  seq: Count,
  lastId: Count,
  hash: Hex64,
  /** The last checkpoint removed (0: none) and its digest: the next one kept names it as `prev`. */
  checkpoint: Count,
  checkpointDigest: Hex64,
  at: z.iso.datetime(),
  keyId: z.string().min(1),
  sig: z.string().min(1),
});
export type RetentionMark = z.infer<typeof MarkText>;

const signedText = (m: Omit<RetentionMark, 'keyId' | 'sig'>) =>
  JSON.stringify({ v: m.v, seq: m.seq, lastId: m.lastId, hash: m.hash, checkpoint: m.checkpoint, checkpointDigest: m.checkpointDigest, at: m.at });

export function signMark(signer: LogSigner, through: LogHead, checkpoint: { n: number; digest: string }, at: string): string {
  const body = { v: 1 as const, seq: through.seq, lastId: through.lastId, hash: through.hash, checkpoint: checkpoint.n, checkpointDigest: checkpoint.digest, at };
  return JSON.stringify({ ...body, ...signer.sign('retention mark', signedText(body)) });
}

/** The mark's fields without checking its signature (stores start their chain check there); null if it is not a mark. */
export function parseMark(text: string): RetentionMark | null {
  try {
    const m = MarkText.safeParse(JSON.parse(text));
    return m.success ? m.data : null;
  } catch {
    return null;
  }
}

export type MarkReading = { ok: true; mark: RetentionMark } | { ok: false; reason: string };

export function readMark(text: string, keys: TrustedKeys): MarkReading {
  const mark = parseMark(text);
  if (!mark) return { ok: false, reason: 'it is not a retention mark' };
  const signature = keys.check('retention mark', signedText(mark), { keyId: mark.keyId, sig: mark.sig });
  return signature.ok ? { ok: true, mark } : { ok: false, reason: signature.reason };
}

export const markHead = (m: RetentionMark): LogHead => ({ seq: m.seq, lastId: m.lastId, hash: m.hash });

/** The latest `at` of a record's groups: when it was appended, near enough (group commit spans milliseconds). */
export function recordTime(raw: string): number | null {
  const record = parseStoredRecord(raw);
  if (!record) return null;
  let latest = -Infinity;
  for (const g of record.groups) {
    const at = Date.parse(Array.isArray(g) ? (g[0] as string) : g.at);
    if (at > latest) latest = at;
  }
  return Number.isFinite(latest) ? latest : null;
}

/** Records removed per step: each step is one atomic change of the store, bounded so Redis is never blocked for long. */
const STEP_RECORDS = 500;

export interface PruneOutcome {
  /** Records removed from the live log by this run. */
  removed: number;
  /** The mark now: records up to it are in the archive only. */
  through: number;
}

/**
 * Removes from the live log the records older than `cutoff` (epoch ms) up to `limit`, the last
 * record a verified archive holds (its head and checkpoints given): step by step, each step
 * moving the signed mark forward and removing the records behind it at once, so a run stopped
 * half-way leaves a log that verifies and a later run goes on. The caller has verified that
 * the live log extends the archive up to `limit`.
 */
export async function pruneArchived(
  store: LogStore,
  signer: LogSigner,
  archived: { checkpoints: readonly Checkpoint[]; checkpointTexts: readonly string[]; limit: number },
  cutoff: number,
  clock: Clock,
): Promise<PruneOutcome> {
  let removed = 0;
  for (;;) {
    const snapshot = await store.snapshot({ checkpoints: true });
    const current = snapshot.mark === null ? null : parseMark(snapshot.mark);
    const from = current?.seq ?? 0;
    // The records of this step that are old enough: they must all be, in order.
    const seqs: number[] = [];
    const persons = new Set<string>();
    let through: LogHead | undefined;
    for await (const { seq, raw } of store.records(from + 1, Math.min(from + STEP_RECORDS, archived.limit))) {
      const record = raw === null ? null : parseStoredRecord(raw);
      const at = raw === null ? null : recordTime(raw);
      if (!record || at === null || at >= cutoff) break;
      seqs.push(seq);
      for (const avs of personsOf(record)) persons.add(avs);
      through = headAfter(record);
    }
    if (!through) return { removed, through: from };
    // The checkpoints that seal only removed records leave too, but never the latest one (writers chain onto it).
    const kept = (snapshot.checkpoints ?? []).map((c) => c.n).sort((a, b) => Number(a) - Number(b));
    const goes = archived.checkpoints
      .map((c, i) => ({ c, text: archived.checkpointTexts[i]! }))
      .filter(({ c, text }) => c.seq <= through.seq && text !== snapshot.latestCheckpoint && kept.includes(String(c.n)));
    const lastGone = goes.at(-1);
    const checkpoint = lastGone ? { n: lastGone.c.n, digest: checkpointDigest(lastGone.text) } : { n: current?.checkpoint ?? 0, digest: current?.checkpointDigest ?? GENESIS_HASH };
    const mark = signMark(signer, through, checkpoint, clock.now().toISOString());
    const done = await store.prune(snapshot.mark, mark, { seqs, lastId: through.lastId, persons: [...persons], checkpoints: goes.map((g) => String(g.c.n)) });
    if (!done) throw new Error('the retention mark changed while removing archived records (another audit:archive running?)');
    removed += seqs.length;
    if (seqs.length < STEP_RECORDS) return { removed, through: through.seq };
  }
}
