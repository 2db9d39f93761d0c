// The access log in Redis: one hash chain of records (lib/audit/chain.ts, in the format of
// lib/audit/record-format.ts) shared by every process that appends to it.
//
// Layout:
//   <prefix>audit:head         "<records>:<entries>:<hash>" of the last record (absent: "0:0:<GENESIS_HASH>")
//   <prefix>audit:records      hash: record sequence number → JSON of the record
//   <prefix>audit:avs:<avs>    sorted set of the records holding that person's entries,
//                              member the record's number, scored by its first entry id
//   <prefix>audit:waiter       the writer whose turn it is after losing a race (short-lived)
//   <prefix>audit:checkpoints  hash: checkpoint number → signed checkpoint (lib/audit/checkpoint.ts)
//   <prefix>audit:checkpoint   the latest checkpoint (what the next one is added onto)
//   <prefix>audit:mark         the signed retention mark: records up to it are archived and gone
//                              (lib/audit/retention.ts)
//
// Node computes the hashes (Redis Lua has no SHA-256) on the head it believes current, and a
// script appends only if the head is still that one (compare-and-append); otherwise it
// answers the current head and Node re-chains on it. So concurrent writers never fork the
// chain, and each append lands whole and contiguous.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { log } from '../log.ts';
import { evalScript, luaScript, redactRedisUrl } from '../redis/connection.ts';
import { ChainVerifier, GENESIS, type ChainVerdict, type LogHead } from './chain.ts';
import { Durability, type DurabilityMode } from './durability.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, LogStore, NewAccessLogEntry, PersonIndex, StoreSnapshot } from './log.ts';
import { entriesOf, entryCount, groupsOfEntries, linkRecord, parseStoredRecord, personsOf, type LogGroup } from './record-format.ts';
import { markHead, parseMark } from './retention.ts';

const APPEND_ATTEMPTS = 50;
/** How long a writer that lost keeps its turn; bounds the stall if it dies meanwhile. */
const WAITER_TTL_MS = 100;
/** Pause when it is another writer's turn, so its turn is not spent in our retries. */
const STAND_BACK_MS = 5;
const MAX_STAND_BACKS = 200;

// KEYS[1] head, KEYS[2] records, KEYS[3] waiter, KEYS[4] latest checkpoint, KEYS[5] retention
// mark, KEYS[5+i] the index of each person in the record.
// ARGV[1] the head when absent, ARGV[2] the head expected, ARGV[3] the new head, ARGV[4] the
// writer's token, ARGV[5] the record's number, ARGV[6] its JSON, ARGV[7] its first entry id.
// Replies {1, new head} | {0, current head} | {3, current head}: another writer's turn |
// {2, number of a record already there} | {4, ''}: the head is gone from a sealed log.
//
// Fairness: a writer that lost the race registers as the waiter (for WAITER_TTL_MS); until it
// has written, the others stand back. Without it, the writer that just won is the first to
// know the new head and can win every round, and a busy one starves the rest into rejecting.
const COMPARE_AND_APPEND = luaScript(`
local head = redis.call('GET', KEYS[1])
if not head and (redis.call('EXISTS', KEYS[4]) == 1 or redis.call('EXISTS', KEYS[5]) == 1) then return {4, ''} end
local current = head or ARGV[1]
if current ~= ARGV[2] then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ${WAITER_TTL_MS}, 'NX')
  return {0, current}
end
local waiter = redis.call('GET', KEYS[3])
if waiter and waiter ~= ARGV[4] then return {3, current} end
if redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then return {2, ARGV[5]} end
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
for i = 6, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[7], ARGV[5])
end
redis.call('SET', KEYS[1], ARGV[3])
if waiter then redis.call('DEL', KEYS[3]) end
return {1, ARGV[3]}
`);

// KEYS[1] latest checkpoint, KEYS[2] checkpoints; ARGV[1] the latest expected ('' none), ARGV[2]
// the new one's number, ARGV[3] its text. Replies 1 added | 0 another writer's came first.
const ADD_CHECKPOINT = luaScript(`
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[3])
return 1
`);

// KEYS[1] retention mark, KEYS[2] records, KEYS[3] checkpoints, KEYS[3+i] the persons' indexes.
// ARGV[1] the mark expected ('' none), ARGV[2] the new mark, ARGV[3] its last entry id, ARGV[4]
// how many records leave, then their numbers, then the numbers of the checkpoints that leave.
// Replies 1 done | 0 the mark moved meanwhile.
const PRUNE = luaScript(`
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
local r = tonumber(ARGV[4])
for i = 5, 4 + r do redis.call('HDEL', KEYS[2], ARGV[i]) end
for i = 5 + r, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
for i = 4, #KEYS do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

const VERIFY_CHUNK = 100;
/** Person index keys read per SCAN round. */
const SCAN_CHUNK = 500;
/** How far apart the clocks of the log's writers may be. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Records read per round trip when answering a query. */
const QUERY_CHUNK = 16;

type Head = LogHead;

const formatHead = (h: Head) => `${h.seq}:${h.lastId}:${h.hash}`;

/** Raised for a log this version cannot read or extend safely; nothing is written. */
export class AccessLogDamaged extends Error {}

function parseHead(raw: string): Head {
  const m = /^(\d+):(\d+):([0-9a-f]{64})$/.exec(raw);
  if (m) return { seq: Number(m[1]), lastId: Number(m[2]), hash: m[3]! };
  if (/^\d+:[0-9a-f]{64}$/.test(raw)) {
    // Written by ciigraph before 0.2 (one hash per entry under audit:entries): appending
    // records on top would leave a log that neither version can verify.
    throw new AccessLogDamaged(
      'access log: this Redis holds a log in the per-entry layout of ciigraph < 0.2; verify and archive it with that version, then start a new log (another REDIS_PREFIX)',
    );
  }
  throw new AccessLogDamaged(`access log: the head is malformed (${raw}); the log is damaged (run npm run audit:verify)`);
}

export interface RedisAuditLogOptions {
  prefix?: string;
  /** fsync: an append is acknowledged once on disk (lib/audit/durability.ts); default async. */
  durability?: DurabilityMode;
  /** How often the durability of the log's Redis is checked again (default 1 s). */
  durabilityRecheckMs?: number;
}

export class RedisAuditLog implements AuditLog, LogStore {
  readonly where: string;
  private readonly headKey: string;
  private readonly recordsKey: string;
  private readonly waiterKey: string;
  private readonly checkpointKey: string;
  private readonly checkpointsKey: string;
  private readonly markKey: string;
  private readonly prefix: string;
  private readonly durability: Durability;
  private readonly listeners: Array<(head: LogHead) => void> = [];
  /** The last head this instance saw: usually still current, which saves reading it before each append. */
  private head: Head = GENESIS;
  /** Tells this writer's turn (see the script) from the others'. */
  private readonly token = randomUUID();
  /** The append in flight: this instance's appends run one after the other (they would only race each other for the head). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    opts: RedisAuditLogOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'ciigraph:';
    this.headKey = `${this.prefix}audit:head`;
    this.recordsKey = `${this.prefix}audit:records`;
    this.waiterKey = `${this.prefix}audit:waiter`;
    this.checkpointKey = `${this.prefix}audit:checkpoint`;
    this.checkpointsKey = `${this.prefix}audit:checkpoints`;
    this.markKey = `${this.prefix}audit:mark`;
    const o = redis.options;
    this.where = `${redactRedisUrl(`redis${o.tls ? 's' : ''}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`)} prefix ${JSON.stringify(this.prefix)}`;
    this.durability = new Durability(redis, opts.durability ?? 'async', { where: this.where, ...(opts.durabilityRecheckMs !== undefined ? { recheckMs: opts.durabilityRecheckMs } : {}) });
  }

  private personKey(avs: string): string {
    return `${this.prefix}audit:avs:${avs}`;
  }

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    return this.appendGroups(groupsOfEntries(entries));
  }

  appendGroups(groups: readonly LogGroup[]): Promise<void> {
    const count = entryCount(groups);
    if (count === 0) return Promise.resolve();
    const appended = this.tail.then(() => this.write(groups, count));
    this.tail = appended.catch(() => {});
    return appended;
  }

  private async write(groups: readonly LogGroup[], count: number): Promise<void> {
    // Lost races are bounded by APPEND_ATTEMPTS; standing back for another writer's turn is
    // bounded apart (each turn lasts at most WAITER_TTL_MS).
    const plan = await this.durability.ready();
    let conflicts = 0;
    let standBacks = 0;
    while (conflicts < APPEND_ATTEMPTS && standBacks < MAX_STAND_BACKS) {
      const expected = this.head;
      const { record, stored } = linkRecord(expected.hash, expected.seq + 1, expected.lastId + 1, groups);
      const next: Head = { seq: record.seq, lastId: record.firstId + count - 1, hash: record.hash };
      const keys = [this.headKey, this.recordsKey, this.waiterKey, this.checkpointKey, this.markKey, ...[...personsOf(record)].map((avs) => this.personKey(avs))];
      const args = [formatHead(GENESIS), formatHead(expected), formatHead(next), this.token, String(record.seq), stored, String(record.firstId)];

      const reply = (await evalScript(this.redis, COMPARE_AND_APPEND, keys, args)) as [number, string];
      const [status, value] = [Number(reply[0]), String(reply[1])];
      // Our own write, seen again: the client resent the script after a reconnect, and the
      // first run had landed. Anyone else's batch would end on another hash.
      if (status === 1 || (status !== 2 && status !== 4 && value === formatHead(next))) {
        this.head = next;
        await this.durability.afterWrite(plan);
        for (const l of this.listeners) l(next);
        return;
      }
      if (status === 2) {
        throw new AccessLogDamaged(`access log: record ${value} already exists beyond the head; the log is damaged (run npm run audit:verify)`);
      }
      if (status === 4) {
        throw new AccessLogDamaged('access log: the head is gone but the log holds checkpoints or a retention mark: it was reset or truncated; nothing is appended (run npm run audit:verify)');
      }
      const current = parseHead(value);
      if (current.seq < expected.seq) {
        log.error({ store: this.where, was: expected.seq, now: current.seq }, 'access log: the head went back (Redis flushed, restarted without its data, or the log truncated); appending from there (run npm run audit:verify)');
      }
      this.head = current;
      if (status === 3) {
        standBacks++;
        await new Promise((r) => setTimeout(r, STAND_BACK_MS));
      } else {
        conflicts++;
      }
    }
    throw new Error(
      `access log: the head kept moving; gave up appending after ${conflicts} lost races and ${standBacks} turns given to other writers`,
    );
  }

  async query(q: AccessLogQuery): Promise<AccessLogEntry[]> {
    if (q.first <= 0) return [];
    if (q.before !== undefined && !/^\d+$/.test(q.before)) throw new Error(`before is not an entry id: ${JSON.stringify(q.before)}`);
    const before = q.before === undefined ? Infinity : Number(q.before);
    const key = this.personKey(q.avs);
    const keep = (avs: string, caseReference: string | null) => avs === q.avs && (q.caseReference === undefined || caseReference === q.caseReference);
    // Records are scored by their first entry id: one that starts before `before` may hold some.
    let max = q.before === undefined ? '+inf' : `(${q.before}`;
    const out: AccessLogEntry[] = [];
    for (;;) {
      const found = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, QUERY_CHUNK);
      if (found.length === 0) return out;
      const seqs = found.filter((_, i) => i % 2 === 0);
      const raws = await this.redis.hmget(this.recordsKey, ...seqs);
      for (const raw of raws) {
        // A deleted or unreadable record is verify()'s to report; a read shows what holds.
        const record = raw === null ? null : parseStoredRecord(raw);
        if (!record) continue;
        const mine = entriesOf(record, keep);
        for (let k = mine.length - 1; k >= 0; k--) {
          if (Number(mine[k]!.id) >= before) continue;
          out.push(mine[k]!);
          if (out.length === q.first) return out;
        }
      }
      if (seqs.length < QUERY_CHUNK) return out;
      max = `(${found.at(-1)!}`;
    }
  }

  async verify(): Promise<ChainVerdict> {
    // Head and record count from one snapshot; records up to the head never change after.
    const snapshot = await this.snapshot();
    if ('unreadable' in snapshot.head) return { ok: false, count: 0, firstBroken: 'head', reason: snapshot.head.unreadable };
    const head = snapshot.head;
    const stored = snapshot.records;
    // Records up to the retention mark were archived and removed: the chain goes on from it.
    const mark = snapshot.mark === null ? null : parseMark(snapshot.mark);
    if (snapshot.mark !== null && !mark) return { ok: false, count: 0, firstBroken: 'retention mark', reason: 'the retention mark is unreadable' };
    const from = mark ? markHead(mark) : GENESIS;

    // Streamed in chunks through the shared verifier, never the whole log in memory.
    const verifier = new ChainVerifier(from);
    for await (const { raw } of this.records(from.seq + 1, head.seq)) {
      const record = raw === null ? null : (parseStoredRecord(raw) ?? 'unreadable');
      if (!verifier.push(record)) return verifier.verdict();
    }
    const verdict = verifier.verdict();
    if (!verdict.ok) return verdict;
    const { count, head: prev } = verdict;
    if (head.hash !== prev || head.lastId !== count) {
      return {
        ok: false,
        count,
        firstBroken: head.seq === 0 ? 'head' : `record ${head.seq}`,
        reason: `the head does not match record ${head.seq} (the head or the last record was rewritten)`,
      };
    }
    if (stored > head.seq - from.seq) {
      return {
        ok: false,
        count,
        firstBroken: `record ${head.seq + 1}`,
        reason: `the log holds ${stored} records but its head is record ${head.seq}${from.seq ? ` and records up to ${from.seq} were archived` : ''} (records were added beyond the head, or the head was reset)`,
      };
    }
    return verdict;
  }

  async snapshot(opts: { checkpoints?: boolean } = {}): Promise<StoreSnapshot> {
    const tx = this.redis.multi().get(this.headKey).hlen(this.recordsKey).get(this.markKey).get(this.checkpointKey);
    if (opts.checkpoints) tx.hgetall(this.checkpointsKey);
    const replies = await tx.exec();
    if (replies === null) throw new Error('access log: the snapshot was aborted');
    for (const [err] of replies) if (err) throw err;
    const rawHead = replies[0]![1] as string | null;
    let head: StoreSnapshot['head'];
    try {
      head = rawHead === null ? GENESIS : parseHead(rawHead);
    } catch (e) {
      head = { unreadable: (e as Error).message };
    }
    const checkpoints = opts.checkpoints ? Object.entries(replies[4]![1] as Record<string, string>).map(([n, text]) => ({ n, text })) : undefined;
    return {
      head,
      records: Number(replies[1]![1]),
      mark: replies[2]![1] as string | null,
      latestCheckpoint: replies[3]![1] as string | null,
      ...(checkpoints ? { checkpoints } : {}),
    };
  }

  /** Records from..to as stored (null: nothing under that number), read `chunk` per round trip. */
  async *records(from: number, to: number, chunk = VERIFY_CHUNK): AsyncGenerator<{ seq: number; raw: string | null }> {
    for (let start = from; start <= to; start += chunk) {
      const seqs: string[] = [];
      for (let seq = start; seq <= Math.min(start + chunk - 1, to); seq++) seqs.push(String(seq));
      const raws = await this.redis.hmget(this.recordsKey, ...seqs);
      for (let i = 0; i < raws.length; i++) yield { seq: start + i, raw: raws[i] ?? null };
    }
  }

  async *personIndexes(): AsyncGenerator<PersonIndex> {
    const keyPrefix = `${this.prefix}audit:avs:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', String(SCAN_CHUNK));
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.zrange(key, '0', '-1', 'WITHSCORES');
      const replies = (await pipeline.exec()) ?? [];
      for (let i = 0; i < keys.length; i++) {
        const [err, flat] = replies[i]!;
        if (err) throw err;
        const members = flat as string[];
        const records: PersonIndex['records'] = [];
        for (let k = 0; k < members.length; k += 2) records.push({ seq: Number(members[k]), firstId: Number(members[k + 1]) });
        yield { avs: keys[i]!.slice(keyPrefix.length), records };
      }
    } while (cursor !== '0');
  }

  async addCheckpoint(expectedLatest: string | null, n: number, text: string): Promise<boolean> {
    const plan = await this.durability.ready();
    const added = Number(await evalScript(this.redis, ADD_CHECKPOINT, [this.checkpointKey, this.checkpointsKey], [expectedLatest ?? '', String(n), text])) === 1;
    if (added) await this.durability.afterWrite(plan);
    return added;
  }

  async prune(expectedMark: string | null, mark: string, cut: { seqs: number[]; lastId: number; persons: string[]; checkpoints: string[] }): Promise<boolean> {
    const plan = await this.durability.ready();
    const keys = [this.markKey, this.recordsKey, this.checkpointsKey, ...cut.persons.map((avs) => this.personKey(avs))];
    const args = [expectedMark ?? '', mark, String(cut.lastId), String(cut.seqs.length), ...cut.seqs.map(String), ...cut.checkpoints];
    const done = Number(await evalScript(this.redis, PRUNE, keys, args)) === 1;
    if (done) await this.durability.afterWrite(plan);
    return done;
  }

  onAppended(listener: (head: LogHead) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Every entry up to the head, oldest first, for the DPO tooling (policy:diff replays them).
   * Records that are missing or unreadable are skipped and named: checking the chain is
   * verify()'s job.
   */
  async readAll(chunk = VERIFY_CHUNK): Promise<{ entries: AccessLogEntry[]; unreadable: string[] }> {
    const entries: AccessLogEntry[] = [];
    const unreadable: string[] = [];
    for await (const { seq, entries: read } of this.recordEntries(chunk)) {
      if (read) entries.push(...read);
      else unreadable.push(`record ${seq}`);
    }
    return { entries, unreadable };
  }

  /** The entries of each record in Redis up to the head, oldest first, streamed (null: missing or unreadable). */
  async *recordEntries(chunk = VERIFY_CHUNK): AsyncGenerator<{ seq: number; entries: AccessLogEntry[] | null }> {
    const snapshot = await this.snapshot();
    if ('unreadable' in snapshot.head) throw new AccessLogDamaged(snapshot.head.unreadable);
    const mark = snapshot.mark === null ? null : parseMark(snapshot.mark);
    for await (const { seq, raw } of this.records((mark?.seq ?? 0) + 1, snapshot.head.seq, chunk)) {
      const record = raw === null ? null : parseStoredRecord(raw);
      yield { seq, entries: record ? entriesOf(record) : null };
    }
  }

  async since(at: string): Promise<AccessLogEntry[]> {
    const snapshot = await this.snapshot();
    if ('unreadable' in snapshot.head) throw new AccessLogDamaged(snapshot.head.unreadable);
    const head = snapshot.head;
    // Records up to the retention mark are in the archive only.
    const first = (snapshot.mark === null ? null : parseMark(snapshot.mark))?.seq ?? 0;
    // Instances' clocks differ a little: a record is only taken as older than `at` with a margin.
    const older = new Date(Date.parse(at) - CLOCK_SKEW_MS).toISOString();
    const records: AccessLogEntry[][] = [];
    for (let end = head.seq; end > first; end -= VERIFY_CHUNK) {
      const seqs: string[] = [];
      for (let seq = end; seq > Math.max(first, end - VERIFY_CHUNK); seq--) seqs.push(String(seq));
      const raws = await this.redis.hmget(this.recordsKey, ...seqs);
      let allOlder = true;
      for (const r of raws) {
        const record = r === null ? null : parseStoredRecord(r);
        if (!record) continue;
        const entries = entriesOf(record);
        if (entries.some((e) => e.at >= older)) allOlder = false;
        records.push(entries.filter((e) => e.at >= at));
      }
      if (allOlder) break;
    }
    return records.reverse().flat();
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}
}
