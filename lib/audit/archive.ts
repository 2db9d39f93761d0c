// The sealed archive of the access log: a directory holding the records as they were stored
// (segments of JSON lines, one record a line, byte for byte, so every hash can be checked
// again), every checkpoint, and a manifest signed with the log's key that names each file's
// SHA-256. `npm run audit:archive -- --out DIR` adds what the live log holds beyond the
// archive; a run adds whole segments one at a time, each followed by a new signed manifest,
// so a run stopped half-way leaves an archive that verifies and the next run goes on from it;
// a run with nothing new changes nothing. lib/audit/verify.ts checks an archive, alone or
// against the live log.
//
//   DIR/manifest.json                                   signed: segments, checkpoints file, seal
//   DIR/segments/records-<first>-<last>.jsonl           records first..last (12-digit numbers)
//   DIR/checkpoints.jsonl                               checkpoints 1..n, one a line
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { ChainVerifier, GENESIS, type LogHead } from './chain.ts';
import { readCheckpoint, type Checkpoint, type Checkpointer } from './checkpoint.ts';
import type { LogStore } from './log.ts';
import { parseStoredRecord } from './record-format.ts';
import { parseMark } from './retention.ts';
import type { LogSigner, TrustedKeys } from './signing-keys.ts';

export const MANIFEST_FILE = 'manifest.json';
export const CHECKPOINTS_FILE = 'checkpoints.jsonl';
export const SEGMENTS_DIR = 'segments';
export const DEFAULT_SEGMENT_RECORDS = 10_000;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Count = z.number().int().min(0);

const Segment = z.strictObject({
  file: z.string().regex(/^segments\/records-\d{12}-\d{12}\.jsonl$/),
  firstSeq: z.number().int().min(1),
  lastSeq: z.number().int().min(1),
  /** The chain before the segment's first record, and after its last. */
  prevHash: Hex64,
  lastId: Count,
  lastHash: Hex64,
  bytes: Count,
  sha256: Hex64,
});
export type Segment = z.infer<typeof Segment>;

const Manifest = z.strictObject({
  format: z.literal('ciigraph access log archive'),
  v: z.literal(1),
  segments: z.array(Segment),
  checkpoints: z.strictObject({ file: z.literal(CHECKPOINTS_FILE), count: Count, sha256: Hex64 }),
  /** The latest checkpoint the archive holds whose record it holds too (null: none yet). */
  sealed: z.strictObject({ checkpoint: z.number().int().min(1), seq: Count, lastId: Count, hash: Hex64 }).nullable(),
  updatedAt: z.iso.datetime(),
  keyId: z.string().min(1),
  sig: z.string().min(1),
});
export type Manifest = z.infer<typeof Manifest>;
type ManifestBody = Omit<Manifest, 'keyId' | 'sig'>;

const manifestSignedText = (m: ManifestBody) =>
  JSON.stringify({ format: m.format, v: m.v, segments: m.segments, checkpoints: m.checkpoints, sealed: m.sealed, updatedAt: m.updatedAt });

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const pad = (n: number) => String(n).padStart(12, '0');

/** Raised when an archive cannot be read or extended as it is; its message says what is wrong. */
export class ArchiveDamaged extends Error {}

/** An archive directory as stored; its manifest's signature checked when opened. */
export class Archive {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  /** The archive in `dir`, null when there is none yet (no manifest); throws ArchiveDamaged when its manifest does not hold. */
  static open(dir: string, keys: TrustedKeys): Archive | null {
    const path = join(dir, MANIFEST_FILE);
    if (!existsSync(path)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ArchiveDamaged(`${path} is not JSON: ${(e as Error).message}`);
    }
    const m = Manifest.safeParse(parsed);
    if (!m.success) throw new ArchiveDamaged(`${path} is not an archive manifest (${m.error.issues[0]?.path.join('.')}: ${m.error.issues[0]?.message})`);
    const signature = keys.check('archive manifest', manifestSignedText(m.data), { keyId: m.data.keyId, sig: m.data.sig });
    if (!signature.ok) throw new ArchiveDamaged(`${path}: the manifest was altered or forged: ${signature.reason}`);
    return new Archive(dir, m.data);
  }

  /** Where the archived chain ends (GENESIS for an archive with no records yet). */
  get end(): LogHead {
    const last = this.manifest.segments.at(-1);
    return last ? { seq: last.lastSeq, lastId: last.lastId, hash: last.lastHash } : GENESIS;
  }

  /** A segment file's bytes, or why they cannot be read. */
  segmentBytes(segment: Segment): Buffer {
    try {
      return readFileSync(join(this.dir, segment.file));
    } catch (e) {
      throw new ArchiveDamaged(`${segment.file} cannot be read: ${(e as Error).message}`);
    }
  }

  /** Records from `from` on, as stored, streamed from the segment files (their hashes are the verifier's to check). */
  async *records(from = 1): AsyncGenerator<{ seq: number; raw: string; segment: Segment }> {
    for (const segment of this.manifest.segments) {
      if (segment.lastSeq < from) continue;
      const lines = createInterface({ input: createReadStream(join(this.dir, segment.file), { encoding: 'utf8' }), crlfDelay: Infinity });
      let seq = segment.firstSeq;
      for await (const line of lines) {
        if (seq >= from) yield { seq, raw: line, segment };
        seq++;
      }
    }
  }

  /** The checkpoints file's lines (the manifest's count and hash are the verifier's to check). */
  checkpointLines(): string[] {
    const path = join(this.dir, CHECKPOINTS_FILE);
    if (!existsSync(path)) return [];
    const text = readFileSync(path, 'utf8');
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }

  checkpointsBytes(): Buffer {
    const path = join(this.dir, CHECKPOINTS_FILE);
    return existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  }
}

/** Writes a file whole or not at all: a temporary file, fsynced, renamed over the target, the directory fsynced. */
function writeDurably(dir: string, name: string, data: string): void {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
  const dirFd = openSync(join(target, '..'), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export interface SealOptions {
  segmentRecords?: number;
  clock?: { now(): Date };
}

export interface SealResult {
  /** Segments written by this run. */
  written: Segment[];
  /** Checkpoints added to the archive by this run. */
  checkpointsAdded: number;
  /** Where the archive ends now. */
  end: LogHead;
  sealed: Manifest['sealed'];
  /** Nothing was new: the archive was left as it was. */
  unchanged: boolean;
}

/**
 * Seals the live log into `dir`: signs a checkpoint of the head (so the archive ends on a
 * signed head), then writes the records after the archive's end up to that checkpoint as new
 * segments and the checkpoints the archive lacks, each step followed by a signed manifest.
 * What is written is checked first: it must extend the archive's chain and its checkpoints.
 */
export async function sealArchive(store: LogStore, checkpointer: Checkpointer, signer: LogSigner, keys: TrustedKeys, dir: string, opts: SealOptions = {}): Promise<SealResult> {
  const segmentRecords = opts.segmentRecords ?? DEFAULT_SEGMENT_RECORDS;
  const now = () => (opts.clock ?? { now: () => new Date() }).now().toISOString();
  mkdirSync(join(dir, SEGMENTS_DIR), { recursive: true });
  const archive = Archive.open(dir, keys);
  let manifest: ManifestBody = archive?.manifest ?? {
    format: 'ciigraph access log archive',
    v: 1,
    segments: [],
    checkpoints: { file: CHECKPOINTS_FILE, count: 0, sha256: sha256('') },
    sealed: null,
    updatedAt: now(),
  };
  let checkpointLines = archive?.checkpointLines() ?? [];
  if (archive && sha256(archive.checkpointsBytes()) !== manifest.checkpoints.sha256) {
    throw new ArchiveDamaged(`${CHECKPOINTS_FILE} does not match the manifest (altered, or replaced)`);
  }
  const lastSegment = manifest.segments.at(-1);
  if (archive && lastSegment && sha256(archive.segmentBytes(lastSegment)) !== lastSegment.sha256) {
    throw new ArchiveDamaged(`${lastSegment.file} does not match the manifest (altered, or replaced)`);
  }
  // What an interrupted run left that the manifest does not name is written again.
  const named = new Set(manifest.segments.map((s) => s.file.slice(SEGMENTS_DIR.length + 1)));
  for (const f of readdirSync(join(dir, SEGMENTS_DIR))) if (!named.has(f)) rmSync(join(dir, SEGMENTS_DIR, f), { force: true });

  const outcome = await checkpointer.seal();
  if ('refused' in outcome) throw new Error(`the live log cannot be sealed: ${outcome.refused}`);
  const snapshot = await store.snapshot({ checkpoints: true });
  if ('unreadable' in snapshot.head) throw new Error(`the live log's head is unreadable: ${snapshot.head.unreadable}`);
  const latest = snapshot.latestCheckpoint === null ? null : readCheckpoint(snapshot.latestCheckpoint, keys);
  if (latest && !latest.ok) throw new Error(`the live log's latest checkpoint does not hold: ${latest.reason}`);
  const target = latest?.checkpoint.seq ?? 0;

  let end = archive?.end ?? GENESIS;
  if (target < end.seq) throw new Error(`the live log is sealed up to record ${target} only, but the archive holds records up to ${end.seq}: the live log was truncated or replaced (run npm run audit:verify -- --archive ${dir})`);
  const mark = snapshot.mark === null ? null : parseMark(snapshot.mark);
  if (mark && mark.seq > end.seq) throw new Error(`records up to ${mark.seq} were already archived elsewhere and removed from the live log; archive into the directory that holds them`);

  const signManifest = (body: Omit<ManifestBody, 'updatedAt'>) => {
    const withTime: ManifestBody = { ...body, updatedAt: now() };
    const signed: Manifest = { ...withTime, ...signer.sign('archive manifest', manifestSignedText(withTime)) };
    writeDurably(dir, MANIFEST_FILE, `${JSON.stringify(signed, null, 1)}\n`);
    return withTime;
  };

  // The records after the archive's end, a segment at a time, each checked to extend the chain.
  const written: Segment[] = [];
  while (end.seq < target) {
    const first = end.seq + 1;
    const last = Math.min(end.seq + segmentRecords, target);
    const verifier = new ChainVerifier(end);
    const lines: string[] = [];
    for await (const { seq, raw } of store.records(first, last)) {
      const record = raw === null ? null : (parseStoredRecord(raw) ?? 'unreadable');
      if (!verifier.push(record)) {
        const v = verifier.verdict();
        throw new Error(`record ${seq} of the live log does not extend the archive: ${v.ok ? '' : v.reason} (run npm run audit:verify -- --archive ${dir})`);
      }
      lines.push(raw!);
    }
    const to = verifier.position();
    const file = `${SEGMENTS_DIR}/records-${pad(first)}-${pad(last)}.jsonl`;
    const data = `${lines.join('\n')}\n`;
    writeDurably(dir, file, data);
    const segment: Segment = { file, firstSeq: first, lastSeq: last, prevHash: end.hash, lastId: to.lastId, lastHash: to.hash, bytes: Buffer.byteLength(data), sha256: sha256(data) };
    written.push(segment);
    manifest = signManifest({ ...manifest, segments: [...manifest.segments, segment] });
    end = to;
  }

  // The checkpoints the archive lacks, up to its end, checked to follow on from its last one.
  const all = (snapshot.checkpoints ?? []).map((c) => ({ n: Number(c.n), text: c.text })).sort((a, b) => a.n - b.n);
  let added = 0;
  let sealed = manifest.sealed;
  for (const { n, text } of all) {
    if (n <= checkpointLines.length) continue;
    if (n !== checkpointLines.length + 1) throw new Error(`checkpoint ${checkpointLines.length + 1} is missing from the live log (run npm run audit:verify)`);
    const reading = readCheckpoint(text, keys);
    if (!reading.ok) throw new Error(`checkpoint ${n} of the live log does not hold: ${reading.reason}`);
    const c: Checkpoint = reading.checkpoint;
    if (c.seq > end.seq) break;
    checkpointLines = [...checkpointLines, text];
    added++;
    sealed = { checkpoint: c.n, seq: c.seq, lastId: c.lastId, hash: c.hash };
  }
  if (added > 0) {
    const data = checkpointLines.map((l) => `${l}\n`).join('');
    writeDurably(dir, CHECKPOINTS_FILE, data);
    manifest = signManifest({ ...manifest, checkpoints: { file: CHECKPOINTS_FILE, count: checkpointLines.length, sha256: sha256(data) }, sealed });
  } else if (!archive) {
    // A first run over an empty log still leaves an archive that says so.
    writeDurably(dir, CHECKPOINTS_FILE, '');
    manifest = signManifest(manifest);
  }
  return { written, checkpointsAdded: added, end, sealed, unchanged: archive !== null && written.length === 0 && added === 0 };
}
