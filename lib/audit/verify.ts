// What `npm run audit:verify` proves, in one place. For the live log (Redis, or memory): the
// hash chain from its start (or from its signed retention mark) to its head; every checkpoint's
// signature, their sequence (none removed or replaced) and that each matches the record it
// seals (an alteration re-hashed after it, or an insertion, no longer does); the head against
// the last checkpoint known (from the live log or the archive: a truncation is named); and
// every person's index against the records (an index emptied or altered is named). For an
// archive: its signed manifest, each file's hash, the chain across its segments and its
// checkpoints. For both: that the live log extends the archive (the same records and
// checkpoints where both hold them, none missing after it), so a truncation or a flushed
// Redis after the last seal is named. Nothing here trusts what Redis says about itself.
import { createHash } from 'node:crypto';
import { ChainVerifier, GENESIS, GENESIS_HASH, describeRecord, type LogHead } from './chain.ts';
import { Archive, ArchiveDamaged } from './archive.ts';
import { checkpointDigest, describeCheckpoint, readCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { LogStore } from './log.ts';
import { headAfter, parseStoredRecord, personsOf } from './record-format.ts';
import { markHead, readMark, parseMark, type RetentionMark } from './retention.ts';
import type { TrustedKeys } from './signing-keys.ts';

/** One thing found wrong: where, and what it means. */
export interface Finding {
  where: string;
  problem: string;
}

export interface LiveSummary {
  /** Entries 1..lastId were written; records first..head are in the live log. */
  lastId: number;
  firstSeq: number;
  headSeq: number;
  head: string;
  checkpoints: number;
  /** The latest checkpoint known (live log or archive). */
  latest: Checkpoint | null;
  keyIds: string[];
  /** Records after the latest checkpoint: not sealed yet. */
  unsealed: number;
  /** Person indexes checked (null: the store derives them from the records). */
  persons: number | null;
  mark: RetentionMark | null;
}

export interface ArchiveSummary {
  dir: string;
  records: number;
  segments: number;
  lastId: number;
  checkpoints: number;
  sealed: { checkpoint: number; seq: number } | null;
  end: LogHead;
}

export interface Verification {
  ok: boolean;
  findings: Finding[];
  live?: LiveSummary;
  archive?: ArchiveSummary;
  /** Both given and intact: the live log holds every archived record after its mark, unchanged, and goes on from the archive. */
  extendsArchive?: boolean;
}

/** Findings of one kind beyond this many are counted, not listed. */
const MAX_LISTED = 20;

class Findings {
  readonly list: Finding[] = [];
  private readonly perKind = new Map<string, number>();

  add(kind: string, where: string, problem: string): void {
    const n = (this.perKind.get(kind) ?? 0) + 1;
    this.perKind.set(kind, n);
    if (n <= MAX_LISTED) this.list.push({ where, problem });
    else if (n === MAX_LISTED + 1) this.list.push({ where: `${kind}`, problem: `more of the same not listed` });
  }
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const ranges = (seqs: readonly number[]) => {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out.push(i === j ? `${seqs[i]}` : `${seqs[i]}–${seqs[j]}`);
    i = j + 1;
  }
  return out.join(', ');
};

interface ArchiveFacts {
  archive: Archive;
  summary: ArchiveSummary;
  /** The archive's checkpoints, by number, as stored. */
  checkpoints: Map<number, { text: string; checkpoint: Checkpoint }>;
}

/** Checks an archive alone: manifest signature, files, chain, checkpoints. */
async function checkArchive(dir: string, keys: TrustedKeys, findings: Findings): Promise<ArchiveFacts | undefined> {
  let archive: Archive | null;
  try {
    archive = Archive.open(dir, keys);
  } catch (e) {
    if (!(e instanceof ArchiveDamaged)) throw e;
    findings.add('archive', `archive ${dir}`, e.message);
    return undefined;
  }
  if (!archive) {
    findings.add('archive', `archive ${dir}`, 'there is no archive here (no manifest.json)');
    return undefined;
  }
  const m = archive.manifest;

  // Each file as the manifest names it; a segment whose bytes differ is not read further.
  let filesHold = true;
  for (const s of m.segments) {
    let bytes: Buffer;
    try {
      bytes = archive.segmentBytes(s);
    } catch (e) {
      findings.add('archive', `archive ${s.file}`, (e as Error).message);
      filesHold = false;
      continue;
    }
    if (bytes.length !== s.bytes || sha256(bytes) !== s.sha256) {
      findings.add('archive', `archive ${s.file}`, `its content is not what the signed manifest names (records ${s.firstSeq}–${s.lastSeq} were altered, added to or removed)`);
      filesHold = false;
    }
  }
  const checkpointsBytes = archive.checkpointsBytes();
  if (sha256(checkpointsBytes) !== m.checkpoints.sha256) {
    findings.add('archive', `archive ${m.checkpoints.file}`, 'its content is not what the signed manifest names (checkpoints were altered, added or removed)');
    filesHold = false;
  }

  // The chain across the segments, and the checkpoints against the records they seal.
  const lines = archive.checkpointLines();
  if (lines.length !== m.checkpoints.count) findings.add('archive', `archive ${m.checkpoints.file}`, `it holds ${lines.length} checkpoints, the manifest names ${m.checkpoints.count}`);
  const checkpoints = new Map<number, { text: string; checkpoint: Checkpoint }>();
  const bySeq = new Map<number, Checkpoint[]>();
  let prevText: string | null = null;
  let prevSeq = -1;
  lines.forEach((text, i) => {
    const n = i + 1;
    const reading = readCheckpoint(text, keys);
    if (!reading.ok) {
      findings.add('archive checkpoint', `archive checkpoint ${n}`, `it does not hold: ${reading.reason}`);
      prevText = text;
      return;
    }
    const c = reading.checkpoint;
    if (c.n !== n) findings.add('archive checkpoint', `archive checkpoint ${n}`, `it says it is checkpoint ${c.n} (checkpoints were removed, inserted or reordered)`);
    else if (c.prev !== (prevText === null ? GENESIS_HASH : checkpointDigest(prevText))) findings.add('archive checkpoint', `archive ${describeCheckpoint(c)}`, `it does not follow checkpoint ${n - 1} (a checkpoint was replaced)`);
    else if (c.seq <= prevSeq) findings.add('archive checkpoint', `archive ${describeCheckpoint(c)}`, 'it does not seal a later record than the checkpoint before it');
    checkpoints.set(c.n, { text, checkpoint: c });
    const at = bySeq.get(c.seq) ?? [];
    at.push(c);
    bySeq.set(c.seq, at);
    prevText = text;
    prevSeq = c.seq;
  });

  let end: LogHead = GENESIS;
  if (filesHold) {
    const verifier = new ChainVerifier();
    let expectedSeq = 1;
    let expectedPrev = GENESIS_HASH;
    for (const s of m.segments) {
      if (s.firstSeq !== expectedSeq || s.prevHash !== expectedPrev) {
        findings.add('archive', `archive ${s.file}`, `it does not follow on from the segment before it (${s.firstSeq > expectedSeq ? `records ${expectedSeq}–${s.firstSeq - 1} are missing` : 'a segment was replaced'})`);
        break;
      }
      expectedSeq = s.lastSeq + 1;
      expectedPrev = s.lastHash;
    }
    let broken = false;
    for await (const { seq, raw } of archive.records()) {
      const record = parseStoredRecord(raw) ?? 'unreadable';
      if (!verifier.push(record)) {
        const v = verifier.verdict();
        if (!v.ok) findings.add('archive', `archive ${v.firstBroken}`, v.reason);
        broken = true;
        break;
      }
      for (const c of bySeq.get(seq) ?? []) {
        const at = verifier.position();
        if (c.hash !== at.hash || c.lastId !== at.lastId) findings.add('archive checkpoint', `archive ${describeCheckpoint(c)}`, `it does not match archived record ${seq} (the archive's records were altered and re-hashed)`);
      }
    }
    end = verifier.position();
    const last = m.segments.at(-1);
    if (!broken && last && (end.seq !== last.lastSeq || end.hash !== last.lastHash || end.lastId !== last.lastId)) {
      findings.add('archive', `archive ${last.file}`, `the manifest says the archive ends at record ${last.lastSeq}, its records end at ${end.seq}`);
    }
    for (const [seq, cs] of bySeq) if (seq > end.seq) for (const c of cs) findings.add('archive checkpoint', `archive ${describeCheckpoint(c)}`, `it seals record ${seq}, beyond the archive's records (they end at ${end.seq}): records were removed from the archive`);
    if (m.sealed) {
      const c = checkpoints.get(m.sealed.checkpoint)?.checkpoint;
      if (!c || c.seq !== m.sealed.seq || c.hash !== m.sealed.hash) findings.add('archive', `archive ${archive.dir}`, `the manifest's seal (checkpoint ${m.sealed.checkpoint}, record ${m.sealed.seq}) is not one of its checkpoints`);
    }
  }
  return {
    archive,
    checkpoints,
    summary: {
      dir,
      records: end.seq,
      segments: m.segments.length,
      lastId: end.lastId,
      checkpoints: lines.length,
      sealed: m.sealed ? { checkpoint: m.sealed.checkpoint, seq: m.sealed.seq } : null,
      end,
    },
  };
}

/** Checks the live log, and against the archive when one is given (already checked alone). */
async function checkLive(store: LogStore, keys: TrustedKeys, findings: Findings, archived: ArchiveFacts | undefined): Promise<LiveSummary | undefined> {
  const snapshot = await store.snapshot({ checkpoints: true });
  if ('unreadable' in snapshot.head) {
    findings.add('head', 'head', snapshot.head.unreadable);
    return undefined;
  }
  const head = snapshot.head;

  // The retention mark: where the live chain starts, signed by the archiver.
  let mark: RetentionMark | null = null;
  if (snapshot.mark !== null) {
    const reading = readMark(snapshot.mark, keys);
    if (reading.ok) mark = reading.mark;
    else {
      findings.add('mark', 'retention mark', `it does not hold: ${reading.reason} (records may have been removed from the start of the log)`);
      mark = parseMark(snapshot.mark);
    }
  }
  const from: LogHead = mark ? markHead(mark) : GENESIS;

  // Checkpoints: each signed, one sequence, stored under its own number.
  const valid = new Map<number, { text: string; checkpoint: Checkpoint }>();
  for (const { n, text } of snapshot.checkpoints ?? []) {
    const reading = readCheckpoint(text, keys);
    if (!reading.ok) findings.add('checkpoint', `checkpoint ${n}`, `it was replaced or forged: ${reading.reason}`);
    else if (String(reading.checkpoint.n) !== n) findings.add('checkpoint', `checkpoint ${n}`, `it holds checkpoint ${reading.checkpoint.n} (checkpoints were moved)`);
    else valid.set(reading.checkpoint.n, { text, checkpoint: reading.checkpoint });
  }
  const stored = new Set((snapshot.checkpoints ?? []).map((c) => Number(c.n)));
  // The latest checkpoint, kept apart so writers add the next one onto it: it must be the highest stored.
  let latestStored: Checkpoint | null = null;
  if (snapshot.latestCheckpoint !== null) {
    const reading = readCheckpoint(snapshot.latestCheckpoint, keys);
    if (!reading.ok) findings.add('checkpoint', 'latest checkpoint', `it was replaced or forged: ${reading.reason}`);
    else {
      latestStored = reading.checkpoint;
      if (!stored.has(latestStored.n)) {
        findings.add('checkpoint', describeCheckpoint(latestStored), 'it is the latest checkpoint but was removed from the checkpoints');
        valid.set(latestStored.n, { text: snapshot.latestCheckpoint, checkpoint: latestStored });
      } else if (valid.get(latestStored.n) && valid.get(latestStored.n)!.text !== snapshot.latestCheckpoint) {
        findings.add('checkpoint', 'latest checkpoint', `it is not checkpoint ${latestStored.n} as stored`);
      }
    }
  }
  const highest = Math.max(0, ...stored, ...valid.keys());
  if (highest > 0 && snapshot.latestCheckpoint === null) findings.add('checkpoint', 'latest checkpoint', `it is gone while checkpoints up to ${highest} are stored (writers can no longer seal)`);
  else if (latestStored && latestStored.n < highest) findings.add('checkpoint', 'latest checkpoint', `it is checkpoint ${latestStored.n}, not the highest stored (${highest}): it was set back`);
  const firstKept = (mark?.checkpoint ?? 0) + 1;
  let prevText: string | null = null;
  let prevSeq = from.seq - 1;
  for (let n = firstKept; n <= highest; n++) {
    const here = valid.get(n);
    if (!here) {
      if (!stored.has(n)) findings.add('checkpoint', `checkpoint ${n}`, 'it is missing (removed)');
      prevText = null;
      continue;
    }
    const expectedPrev = n === firstKept ? (mark?.checkpointDigest ?? GENESIS_HASH) : prevText === null ? undefined : checkpointDigest(prevText);
    if (expectedPrev !== undefined && here.checkpoint.prev !== expectedPrev) findings.add('checkpoint', describeCheckpoint(here.checkpoint), `it does not follow ${n === firstKept && mark ? 'the retention mark' : `checkpoint ${n - 1}`} (a checkpoint was replaced)`);
    if (here.checkpoint.seq <= prevSeq) findings.add('checkpoint', describeCheckpoint(here.checkpoint), 'it does not seal a later record than the checkpoint before it');
    if (here.checkpoint.seq === from.seq && from.seq > 0 && (here.checkpoint.hash !== from.hash || here.checkpoint.lastId !== from.lastId)) {
      findings.add('checkpoint', describeCheckpoint(here.checkpoint), 'it does not match the retention mark at the same record');
    }
    prevText = here.text;
    prevSeq = here.checkpoint.seq;
  }

  // A live log with nothing at all beside an archive: Redis lost everything after the seal.
  if (archived) {
    const aEnd = archived.summary.end;
    const liveEmpty = head.seq === 0 && snapshot.records === 0 && snapshot.mark === null && snapshot.latestCheckpoint === null && (snapshot.checkpoints ?? []).length === 0;
    if (liveEmpty && aEnd.seq > 0) {
      findings.add('extends', 'live log', `it holds nothing, but the archive holds records 1–${aEnd.seq} (entries 1–${aEnd.lastId}): Redis was flushed or lost its data after the archive was sealed`);
      return { lastId: 0, firstSeq: 1, headSeq: 0, head: head.hash, checkpoints: 0, latest: null, keyIds: [], unsealed: 0, persons: null, mark: null };
    }
  }

  // The checkpoints known: the live log's, and the archive's (which may hold some removed from Redis).
  const known = new Map(valid);
  if (archived) {
    for (const [n, a] of archived.checkpoints) {
      if (n <= (mark?.checkpoint ?? 0)) continue;
      const live = valid.get(n);
      if (!live) {
        if (stored.has(n)) continue;
        findings.add('checkpoint', describeCheckpoint(a.checkpoint), `it is in the archive but not in the live log (removed from Redis)`);
        known.set(n, a);
      } else if (live.text !== a.text) findings.add('checkpoint', describeCheckpoint(live.checkpoint), `it differs from the archive's checkpoint ${n} (replaced)`);
    }
  }
  const bySeq = new Map<number, Checkpoint[]>();
  for (const { checkpoint: c } of known.values()) bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);
  const latest = [...known.values()].map((k) => k.checkpoint).sort((a, b) => b.seq - a.seq || b.n - a.n)[0] ?? null;

  // The live log against the archive: from the mark, the archive must hold it up to the mark.
  if (archived) {
    const aEnd = archived.summary.end;
    if (mark && mark.seq > aEnd.seq) {
      findings.add('extends', 'retention mark', `records up to ${mark.seq} were removed from the live log, but the archive holds records up to ${aEnd.seq} only`);
    } else if (head.seq < aEnd.seq) {
      findings.add('extends', 'head', `the live log ends at record ${head.seq}, but the archive holds records up to ${aEnd.seq} (entries up to ${aEnd.lastId}): records ${head.seq + 1}–${aEnd.seq} were removed from the live log (truncated)`);
    }
  }

  // The chain, from the mark to the head, with each checkpoint and the archive's records beside it.
  const verifier = new ChainVerifier(from);
  const expected = new Map<string, Map<number, number>>();
  const indexed = store.personIndexes();
  const archiveRecords = archived ? archived.archive.records(from.seq + 1)[Symbol.asyncIterator]() : undefined;
  let archiveDiffers = false;
  let chainHolds = true;
  if (mark && archived && mark.seq > 0 && mark.seq <= archived.summary.end.seq) {
    // The mark must name the archive's record: a forged start would not.
    for await (const { seq, raw } of archived.archive.records(mark.seq)) {
      const h = parseStoredRecord(raw);
      if (seq === mark.seq && (!h || headAfter(h).hash !== mark.hash)) findings.add('extends', 'retention mark', `it does not name archived record ${mark.seq}`);
      break;
    }
  }
  for await (const { seq, raw } of store.records(from.seq + 1, head.seq)) {
    const record = raw === null ? null : (parseStoredRecord(raw) ?? 'unreadable');
    if (!verifier.push(record)) {
      const v = verifier.verdict();
      if (!v.ok) findings.add('chain', v.firstBroken, v.reason);
      chainHolds = false;
      break;
    }
    const at = verifier.position();
    for (const c of bySeq.get(seq) ?? []) {
      if (c.hash !== at.hash || c.lastId !== at.lastId) {
        findings.add('checkpoint', describeCheckpoint(c), `record ${seq} no longer has the hash it was sealed with (entries up to ${c.lastId}): records up to ${seq} were altered, inserted or removed, and the chain re-hashed after them`);
      }
    }
    if (archiveRecords && !archiveDiffers) {
      const a = await archiveRecords.next();
      if (!a.done && a.value.seq === seq && a.value.raw !== raw) {
        archiveDiffers = true;
        const sharesCheckpoint = [...valid.keys()].some((n) => archived!.checkpoints.get(n)?.text === valid.get(n)!.text);
        findings.add(
          'extends',
          describeRecord(seq, (record as { firstId: number }).firstId),
          sharesCheckpoint ? `it differs from the archived record ${seq} (altered in the live log)` : `it differs from the archived record ${seq}, and the live log shares no checkpoint with the archive: Redis was flushed (or its log replaced) after the archive was sealed, and a new chain started`,
        );
      }
    }
    if (indexed && record && record !== 'unreadable') {
      for (const avs of personsOf(record)) {
        let mine = expected.get(avs);
        if (!mine) expected.set(avs, (mine = new Map()));
        mine.set(seq, record.firstId);
      }
    }
  }
  await archiveRecords?.return?.(undefined);
  const at = verifier.position();
  if (chainHolds) {
    if (head.hash !== at.hash || head.lastId !== at.lastId) {
      findings.add('chain', head.seq === 0 ? 'head' : `record ${head.seq}`, `the head does not match record ${head.seq} (the head or the last record was rewritten)`);
      chainHolds = false;
    } else if (snapshot.records > head.seq - from.seq) {
      findings.add('chain', `record ${head.seq + 1}`, `the log holds ${snapshot.records} records but its head is record ${head.seq}${from.seq ? ` and records up to ${from.seq} were archived` : ''} (records were added beyond the head, or the head was reset)`);
    }
  }
  // The head against the last checkpoint known: one beyond the head means records were cut off the end.
  if (latest && latest.seq > head.seq && !(archived && head.seq < archived.summary.end.seq && latest.seq <= archived.summary.end.seq)) {
    findings.add('truncated', 'head', `the head is record ${head.seq} (entries up to ${head.lastId}), but ${describeCheckpoint(latest)} seals entries up to ${latest.lastId}: records ${head.seq + 1}–${latest.seq} were removed from the end of the log`);
  }

  // Every person's index against the records: the DPO reads a person's entries through it.
  let persons: number | null = null;
  if (indexed) {
    if (!chainHolds) findings.add('index', 'person indexes', 'not checked: the chain does not hold');
    else {
      persons = 0;
      for await (const { avs, records } of indexed) {
        persons++;
        const mine = expected.get(avs) ?? new Map<number, number>();
        expected.delete(avs);
        const foreign: number[] = [];
        const misScored: number[] = [];
        const present = new Set<number>();
        for (const { seq, firstId } of records) {
          // Written after the snapshot: the next verification checks it.
          if (seq > head.seq) continue;
          present.add(seq);
          const want = mine.get(seq);
          if (want === undefined) foreign.push(seq);
          else if (want !== firstId) misScored.push(seq);
        }
        const lacking = [...mine.keys()].filter((s) => !present.has(s)).sort((a, b) => a - b);
        if (lacking.length) findings.add('index', `index of ${avs}`, `it lacks records ${ranges(lacking)} holding their entries: the person's access log would not show them (entries removed from the index)`);
        if (foreign.length) findings.add('index', `index of ${avs}`, `it names records ${ranges(foreign.sort((a, b) => a - b))}, which hold none of their entries`);
        if (misScored.length) findings.add('index', `index of ${avs}`, `records ${ranges(misScored.sort((a, b) => a - b))} are filed under the wrong entry ids`);
      }
      for (const [avs, mine] of expected) {
        persons++;
        findings.add('index', `index of ${avs}`, `it is gone, while records ${ranges([...mine.keys()].sort((a, b) => a - b))} hold their entries: the person's access log would show nothing (index emptied)`);
      }
    }
  }

  return {
    lastId: head.lastId,
    firstSeq: from.seq + 1,
    headSeq: head.seq,
    head: head.hash,
    checkpoints: valid.size,
    latest,
    keyIds: [...new Set([...known.values()].map((k) => k.checkpoint.keyId))],
    unsealed: Math.max(0, head.seq - (latest?.seq ?? 0)),
    persons,
    mark,
  };
}

/** Verifies the live log, an archive, or both (then also that the live log extends the archive). */
export async function verifyAccessLog(opts: { store?: LogStore; archiveDir?: string; keys: TrustedKeys }): Promise<Verification> {
  const findings = new Findings();
  const archived = opts.archiveDir === undefined ? undefined : await checkArchive(opts.archiveDir, opts.keys, findings);
  const live = opts.store ? await checkLive(opts.store, opts.keys, findings, archived) : undefined;
  const ok = findings.list.length === 0;
  return {
    ok,
    findings: findings.list,
    ...(live ? { live } : {}),
    ...(archived ? { archive: archived.summary } : {}),
    ...(opts.store && opts.archiveDir !== undefined ? { extendsArchive: ok } : {}),
  };
}
