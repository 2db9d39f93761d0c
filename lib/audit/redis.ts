// The access log in Redis: one hash chain of records (lib/audit/chain.ts, in the format of
// lib/audit/record-format.ts) shared by every process that appends to it.
//
// Layout:
//   <prefix>audit:head        "<records>:<entries>:<hash>" of the last record (absent: "0:0:<GENESIS_HASH>")
//   <prefix>audit:records     hash: record sequence number → JSON of the record
//   <prefix>audit:avs:<avs>   sorted set of the records holding that person's entries,
//                             member the record's number, scored by its first entry id
//   <prefix>audit:waiter      the writer whose turn it is after losing a race (short-lived)
//
// Node computes the hashes (Redis Lua has no SHA-256) on the head it believes current, and a
// script appends only if the head is still that one (compare-and-append); otherwise it
// answers the current head and Node re-chains on it. So concurrent writers never fork the
// chain, and each append lands whole and contiguous.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/connection.ts';
import { ChainVerifier, GENESIS_HASH, type ChainVerdict } from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';
import { entriesOf, entryCount, groupsOfEntries, linkRecord, parseStoredRecord, personsOf, type LogGroup } from './record-format.ts';

const APPEND_ATTEMPTS = 50;
/** How long a writer that lost keeps its turn; bounds the stall if it dies meanwhile. */
const WAITER_TTL_MS = 100;
/** Pause when it is another writer's turn, so its turn is not spent in our retries. */
const STAND_BACK_MS = 5;
const MAX_STAND_BACKS = 200;

// KEYS[1] head, KEYS[2] records, KEYS[3] waiter, KEYS[3+i] the index of each person in the record.
// ARGV[1] the head when absent, ARGV[2] the head expected, ARGV[3] the new head, ARGV[4] the
// writer's token, ARGV[5] the record's number, ARGV[6] its JSON, ARGV[7] its first entry id.
// Replies {1, new head} | {0, current head} | {3, current head}: another writer's turn |
// {2, number of a record already there}.
//
// Fairness: a writer that lost the race registers as the waiter (for WAITER_TTL_MS); until it
// has written, the others stand back. Without it, the writer that just won is the first to
// know the new head and can win every round, and a busy one starves the rest into rejecting.
const COMPARE_AND_APPEND = luaScript(`
local current = redis.call('GET', KEYS[1]) or ARGV[1]
if current ~= ARGV[2] then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ${WAITER_TTL_MS}, 'NX')
  return {0, current}
end
local waiter = redis.call('GET', KEYS[3])
if waiter and waiter ~= ARGV[4] then return {3, current} end
if redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then return {2, ARGV[5]} end
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
for i = 4, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[7], ARGV[5])
end
redis.call('SET', KEYS[1], ARGV[3])
if waiter then redis.call('DEL', KEYS[3]) end
return {1, ARGV[3]}
`);

const VERIFY_CHUNK = 100;
/** How far apart the clocks of the log's writers may be. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Records read per round trip when answering a query. */
const QUERY_CHUNK = 16;

interface Head {
  /** Records in the chain. */
  seq: number;
  /** Entries in the chain: the id of the last one. */
  lastId: number;
  hash: string;
}

const GENESIS: Head = { seq: 0, lastId: 0, hash: GENESIS_HASH };
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

export class RedisAuditLog implements AuditLog {
  private readonly headKey: string;
  private readonly recordsKey: string;
  private readonly waiterKey: string;
  private readonly prefix: string;
  /** The last head this instance saw: usually still current, which saves reading it before each append. */
  private head: Head = GENESIS;
  /** Tells this writer's turn (see the script) from the others'. */
  private readonly token = randomUUID();
  /** The append in flight: this instance's appends run one after the other (they would only race each other for the head). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string } = {},
  ) {
    this.prefix = opts.prefix ?? 'ciigraph:';
    this.headKey = `${this.prefix}audit:head`;
    this.recordsKey = `${this.prefix}audit:records`;
    this.waiterKey = `${this.prefix}audit:waiter`;
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
    let conflicts = 0;
    let standBacks = 0;
    while (conflicts < APPEND_ATTEMPTS && standBacks < MAX_STAND_BACKS) {
      const expected = this.head;
      const { record, stored } = linkRecord(expected.hash, expected.seq + 1, expected.lastId + 1, groups);
      const next: Head = { seq: record.seq, lastId: record.firstId + count - 1, hash: record.hash };
      const keys = [this.headKey, this.recordsKey, this.waiterKey, ...[...personsOf(record)].map((avs) => this.personKey(avs))];
      const args = [formatHead(GENESIS), formatHead(expected), formatHead(next), this.token, String(record.seq), stored, String(record.firstId)];

      const reply = (await evalScript(this.redis, COMPARE_AND_APPEND, keys, args)) as [number, string];
      const [status, value] = [Number(reply[0]), String(reply[1])];
      if (status === 1) {
        this.head = next;
        return;
      }
      if (status === 2) {
        throw new AccessLogDamaged(`access log: record ${value} already exists beyond the head; the log is damaged (run npm run audit:verify)`);
      }
      // Our own write, seen again: the client resent the script after a reconnect, and the
      // first run had landed. Anyone else's batch would end on another hash.
      if (value === formatHead(next)) {
        this.head = next;
        return;
      }
      this.head = parseHead(value);
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
    const snapshot = await this.redis.multi().get(this.headKey).hlen(this.recordsKey).exec();
    if (snapshot === null) throw new Error('access log: the verification snapshot was aborted');
    for (const [err] of snapshot) if (err) throw err;
    const rawHead = snapshot[0]![1] as string | null;
    const stored = Number(snapshot[1]![1]);
    let head: Head;
    try {
      head = rawHead === null ? GENESIS : parseHead(rawHead);
    } catch (e) {
      return { ok: false, count: 0, firstBroken: 'head', reason: (e as Error).message };
    }

    // Streamed in chunks through the shared verifier, never the whole log in memory.
    const verifier = new ChainVerifier();
    for await (const { raw } of this.storedRecords(head.seq)) {
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
    if (stored > head.seq) {
      return {
        ok: false,
        count,
        firstBroken: `record ${head.seq + 1}`,
        reason: `the log holds ${stored} records but its head is record ${head.seq} (records were added beyond the head, or the head was reset)`,
      };
    }
    return verdict;
  }

  /**
   * Every entry up to the head, oldest first, for the DPO tooling (policy:diff replays them).
   * Records that are missing or unreadable are skipped and named: checking the chain is
   * verify()'s job.
   */
  async readAll(chunk = VERIFY_CHUNK): Promise<{ entries: AccessLogEntry[]; unreadable: string[] }> {
    const raw = await this.redis.get(this.headKey);
    const head = raw === null ? GENESIS : parseHead(raw);
    const entries: AccessLogEntry[] = [];
    const unreadable: string[] = [];
    for await (const { seq, raw } of this.storedRecords(head.seq, chunk)) {
      const record = raw === null ? null : parseStoredRecord(raw);
      if (record) entries.push(...entriesOf(record));
      else unreadable.push(`record ${seq}`);
    }
    return { entries, unreadable };
  }

  async since(at: string): Promise<AccessLogEntry[]> {
    const raw = await this.redis.get(this.headKey);
    const head = raw === null ? GENESIS : parseHead(raw);
    // Instances' clocks differ a little: a record is only taken as older than `at` with a margin.
    const older = new Date(Date.parse(at) - CLOCK_SKEW_MS).toISOString();
    const records: AccessLogEntry[][] = [];
    for (let end = head.seq; end >= 1; end -= VERIFY_CHUNK) {
      const seqs: string[] = [];
      for (let seq = end; seq > Math.max(0, end - VERIFY_CHUNK); seq--) seqs.push(String(seq));
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

  /** Records 1..upTo as stored (null: nothing under that number), read `chunk` per round trip. */
  private async *storedRecords(upTo: number, chunk = VERIFY_CHUNK): AsyncGenerator<{ seq: number; raw: string | null }> {
    for (let start = 1; start <= upTo; start += chunk) {
      const seqs: string[] = [];
      for (let seq = start; seq <= Math.min(start + chunk - 1, upTo); seq++) seqs.push(String(seq));
      const raws = await this.redis.hmget(this.recordsKey, ...seqs);
      for (let i = 0; i < raws.length; i++) yield { seq: start + i, raw: raws[i] ?? null };
    }
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}
}
