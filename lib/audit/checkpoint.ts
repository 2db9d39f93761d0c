// Signed checkpoints: at least every N records or T seconds, a writer of the access log signs
// its head (record number, last entry id, hash) with the log's Ed25519 key. The chain alone
// vouches for itself: anyone who can write to Redis can alter a record and re-hash every
// record after it. A checkpoint cannot be re-made without the key, so `npm run audit:verify`
// detects an alteration, an insertion or a truncation of what a checkpoint seals.
//
// Checkpoints are chained too: each names its number n (1, 2, ...) and the SHA-256 of the
// checkpoint before it, so one removed or replaced is named as well. Before signing, a writer
// checks that the records since the previous checkpoint (whose signature it checks) link up
// to the head: it seals only a head that extends what was sealed.
import { hash } from 'node:crypto';
import { z } from 'zod';
import { systemClock, type Clock } from '../clock.ts';
import { errorFields, log } from '../log.ts';
import { ChainVerifier, GENESIS, GENESIS_HASH, type LogHead } from './chain.ts';
import type { LogStore } from './log.ts';
import { headAfter, linkOf, parseStoredRecord } from './record-format.ts';
import type { LogSigner, SignatureCheck, TrustedKeys } from './signing-keys.ts';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Count = z.number().int().min(0);

const CheckpointText = z.strictObject({
  v: z.literal(1),
  /** 1, 2, ...: the checkpoints' own sequence. */
  n: z.number().int().min(1),
  seq: Count,
  lastId: Count,
  hash: Hex64,
  at: z.iso.datetime(),
  /** SHA-256 of the previous checkpoint as stored (GENESIS_HASH for the first). */
  prev: Hex64,
  keyId: z.string().min(1),
  sig: z.string().min(1),
});
export type Checkpoint = z.infer<typeof CheckpointText>;

/** The signed statement: everything but the signature, in a fixed order. */
const signedText = (c: Omit<Checkpoint, 'keyId' | 'sig'>) => JSON.stringify({ v: c.v, n: c.n, seq: c.seq, lastId: c.lastId, hash: c.hash, at: c.at, prev: c.prev });

/** What the next checkpoint names as `prev`. */
export const checkpointDigest = (text: string): string => hash('sha256', text, 'hex');

export function signCheckpoint(signer: LogSigner, head: LogHead, n: number, prev: string, at: string): { checkpoint: Checkpoint; text: string } {
  const body = { v: 1 as const, n, seq: head.seq, lastId: head.lastId, hash: head.hash, at, prev };
  const checkpoint: Checkpoint = { ...body, ...signer.sign('checkpoint', signedText(body)) };
  return { checkpoint, text: JSON.stringify(checkpoint) };
}

export type CheckpointReading = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

/** A stored checkpoint, its signature checked against the log's public keys. */
export function readCheckpoint(text: string, keys: TrustedKeys): CheckpointReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'it is not a checkpoint (not JSON)' };
  }
  const c = CheckpointText.safeParse(parsed);
  if (!c.success) return { ok: false, reason: `it is not a checkpoint (${c.error.issues[0]?.path.join('.') || 'shape'}: ${c.error.issues[0]?.message})` };
  const signature: SignatureCheck = keys.check('checkpoint', signedText(c.data), { keyId: c.data.keyId, sig: c.data.sig });
  return signature.ok ? { ok: true, checkpoint: c.data } : { ok: false, reason: signature.reason };
}

/** "checkpoint 4 (record 1200)" */
export const describeCheckpoint = (c: Pick<Checkpoint, 'n' | 'seq'>) => `checkpoint ${c.n} (record ${c.seq})`;

export interface CheckpointPolicy {
  /** Seal once this many records were appended since the last checkpoint. */
  everyRecords: number;
  /** And at least this often while records are unsealed. */
  everyMs: number;
}

export type SealOutcome =
  | { sealed: Checkpoint }
  /** The head is the latest checkpoint's already (or the log is empty). */
  | { unchanged: Checkpoint | null }
  /** Nothing was signed: what is stored does not extend what was sealed. */
  | { refused: string };

/**
 * Seals the log's head: on a writer after its appends (every `everyRecords` records, and every
 * `everyMs` while something is unsealed), and on demand (npm run audit:archive). Several
 * writers may seal one log: the store adds a checkpoint only onto the latest one it holds, so
 * the checkpoints stay one sequence.
 */
export class Checkpointer {
  /** The head's record number at the latest checkpoint this writer knows of. */
  private sealedSeq = 0;
  /** The highest checkpoint number this writer has seen: fewer in the store means some were removed. */
  private highestN = 0;
  private sealing: Promise<SealOutcome> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: LogStore,
    private readonly signer: LogSigner,
    /** The keys earlier checkpoints may be signed with: this writer's and those it rolled over from. */
    private readonly keys: TrustedKeys,
    private readonly policy: CheckpointPolicy,
    private readonly opts: {
      /** Read and link the records since the last checkpoint before signing (off for a store no one else writes to: memory). */
      verifyBeforeSigning: boolean;
      clock?: Clock;
    },
  ) {}

  /** Seals after appends and on a timer until close(). */
  start(): this {
    this.store.onAppended((head) => {
      if (!this.closed && !this.sealing && head.seq - this.sealedSeq >= this.policy.everyRecords) void this.seal();
    });
    this.timer = setInterval(() => {
      if (!this.sealing) void this.seal();
    }, this.policy.everyMs);
    this.timer.unref();
    return this;
  }

  get keyId(): string {
    return this.signer.keyId;
  }

  /** Signs the current head if it is beyond the latest checkpoint; one seal at a time (a call while one runs gets its outcome). */
  seal(): Promise<SealOutcome> {
    this.sealing ??= this.sealOnce()
      .catch((e: unknown): SealOutcome => {
        log.warn({ ...errorFields(e), store: this.store.where }, 'access log: could not seal the head (a checkpoint will be tried again)');
        return { refused: `could not seal: ${(e as Error).message}` };
      })
      .finally(() => (this.sealing = undefined));
    return this.sealing;
  }

  /** Stops sealing after one last seal of what was appended. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.sealing;
    await this.seal();
  }

  private async sealOnce(): Promise<SealOutcome> {
    // Another writer may add a checkpoint between our read and our write: then read again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const snapshot = await this.store.snapshot();
      if ('unreadable' in snapshot.head) return this.refuse(`the head is unreadable (${snapshot.head.unreadable})`);
      const head = snapshot.head;
      let latest: Checkpoint | null = null;
      if (snapshot.latestCheckpoint !== null) {
        const reading = readCheckpoint(snapshot.latestCheckpoint, this.keys);
        if (!reading.ok) return this.refuse(`the latest checkpoint does not hold: ${reading.reason}`);
        latest = reading.checkpoint;
      }
      const n = (latest?.n ?? 0) + 1;
      if (n - 1 < this.highestN) return this.refuse(`the latest checkpoint is number ${n - 1}, but this writer saw number ${this.highestN}: checkpoints were removed`);
      this.highestN = n - 1;
      if (latest && head.seq < latest.seq) {
        return this.refuse(`the head is record ${head.seq}, behind ${describeCheckpoint(latest)}: records were removed from the end of the log`);
      }
      if (latest && head.seq === latest.seq) {
        if (head.hash !== latest.hash || head.lastId !== latest.lastId) return this.refuse(`the head does not match ${describeCheckpoint(latest)}`);
        this.sealedSeq = latest.seq;
        return { unchanged: latest };
      }
      if (head.seq === 0) return { unchanged: null };

      if (this.opts.verifyBeforeSigning) {
        const problem = await this.linksUp(latest, head);
        if (problem) return this.refuse(problem);
      }
      const at = (this.opts.clock ?? systemClock).now().toISOString();
      const { checkpoint, text } = signCheckpoint(this.signer, head, n, snapshot.latestCheckpoint === null ? GENESIS_HASH : checkpointDigest(snapshot.latestCheckpoint), at);
      if (await this.store.addCheckpoint(snapshot.latestCheckpoint, n, text)) {
        this.sealedSeq = head.seq;
        this.highestN = n;
        return { sealed: checkpoint };
      }
    }
    return this.refuse('other writers kept adding checkpoints');
  }

  /** Why the records after `latest` do not lead to `head`, if they do not. */
  private async linksUp(latest: Checkpoint | null, head: LogHead): Promise<string | undefined> {
    const from: LogHead = latest ?? GENESIS;
    const since = latest ? describeCheckpoint(latest) : 'the start of the log';
    // Each record links to the one before by its hash, read without parsing its entries; the
    // last one is read whole, for the id of its last entry.
    let prev = from.hash;
    let seq = from.seq;
    let last: string | null = null;
    for await (const { seq: s, raw } of this.store.records(from.seq + 1, head.seq)) {
      const link = raw === null ? null : linkOf(raw);
      if (!link) return this.linksUpWhole(from, head, since);
      if (link.seq !== s || link.prevHash !== prev) return `record ${s} does not follow ${since}: record ${s} does not link to record ${s - 1}`;
      prev = link.hash;
      seq = s;
      last = raw;
    }
    const lastRecord = last === null ? null : parseStoredRecord(last);
    if (seq !== head.seq || prev !== head.hash || (lastRecord && headAfter(lastRecord).lastId !== head.lastId) || (!lastRecord && head.lastId !== from.lastId)) {
      return `the head does not match record ${head.seq} (the head was rewritten)`;
    }
    return undefined;
  }

  /** The same, record by record through the chain verifier (records in another form: written by an earlier version, or altered). */
  private async linksUpWhole(from: LogHead, head: LogHead, since: string): Promise<string | undefined> {
    const verifier = new ChainVerifier(from);
    for await (const { raw } of this.store.records(from.seq + 1, head.seq)) {
      if (!verifier.push(raw === null ? null : (parseStoredRecord(raw) ?? 'unreadable'))) break;
    }
    const verdict = verifier.verdict();
    if (!verdict.ok) return `${verdict.firstBroken} does not follow ${since}: ${verdict.reason}`;
    const at = verifier.position();
    if (at.hash !== head.hash || at.lastId !== head.lastId) return `the head does not match record ${head.seq} (the head was rewritten)`;
    return undefined;
  }

  private refuse(reason: string): SealOutcome {
    log.error({ store: this.store.where, reason }, 'access log: refusing to seal the head; run npm run audit:verify');
    return { refused: reason };
  }
}
