// The access log in Redis: one hash chain shared by every process that appends to it.
//
// Layout:
//   <prefix>audit:head        "<seq>:<hash>" of the last entry (absent: "0:<GENESIS_HASH>")
//   <prefix>audit:entries     hash: entry id → JSON of the ChainedEntry
//   <prefix>audit:avs:<avs>   sorted set of that person's entry ids, scored by id
//   <prefix>audit:waiter      the writer whose turn it is after losing a race (short-lived)
//
// Node computes the hashes (Redis Lua has no SHA-256) on the head it believes current, and a
// script appends only if the head is still that one (compare-and-append); otherwise it
// answers the current head and Node re-chains on it. So concurrent writers never fork the
// chain, and each batch lands whole and contiguous.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/connection.ts';
import { chain, ChainVerifier, GENESIS_HASH, type ChainedEntry, type ChainVerdict } from './chain.ts';
import type { AccessLogEntry, AccessLogQuery, AuditLog, NewAccessLogEntry } from './log.ts';

const APPEND_ATTEMPTS = 50;
/** How long a writer that lost keeps its turn; bounds the stall if it dies meanwhile. */
const WAITER_TTL_MS = 100;
/** Pause when it is another writer's turn, so its turn is not spent in our retries. */
const STAND_BACK_MS = 5;
const MAX_STAND_BACKS = 200;
/** Most entries per script: one script runs alone in Redis, so it must stay short. */
const MAX_ENTRIES_PER_WRITE = 2000;

// KEYS[1] head, KEYS[2] entries, KEYS[3] waiter, KEYS[3+i] person index of entry i.
// ARGV[1] the head when absent, ARGV[2] the head expected, ARGV[3] the new head, ARGV[4] the
// writer's token, then for entry i: ARGV[3+2i] its id, ARGV[4+2i] its JSON.
// Replies {1, new head} | {0, current head} | {3, current head}: another writer's turn |
// {2, id of an entry already there}.
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
local n = #KEYS - 3
for i = 1, n do
  if redis.call('HEXISTS', KEYS[2], ARGV[3 + 2 * i]) == 1 then return {2, ARGV[3 + 2 * i]} end
end
for i = 1, n do
  local id = ARGV[3 + 2 * i]
  redis.call('HSET', KEYS[2], id, ARGV[4 + 2 * i])
  redis.call('ZADD', KEYS[3 + i], id, id)
end
redis.call('SET', KEYS[1], ARGV[3])
if waiter then redis.call('DEL', KEYS[3]) end
return {1, ARGV[3]}
`);

const VERIFY_CHUNK = 1000;

interface Head {
  seq: number;
  hash: string;
}

const GENESIS: Head = { seq: 0, hash: GENESIS_HASH };
const formatHead = (h: Head) => `${h.seq}:${h.hash}`;

function parseHead(raw: string): Head | null {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(raw);
  return m ? { seq: Number(m[1]), hash: m[2]! } : null;
}

export class RedisAuditLog implements AuditLog {
  private readonly headKey: string;
  private readonly entriesKey: string;
  private readonly waiterKey: string;
  private readonly prefix: string;
  /** The last head this instance saw: usually still current, which saves reading it before each append. */
  private head: Head = GENESIS;
  /** Tells this writer's turn (see the script) from the others'. */
  private readonly token = randomUUID();
  /** Appends waiting for the write in flight: they go together in the next one (group commit). */
  private pending: { entries: readonly NewAccessLogEntry[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string } = {},
  ) {
    this.prefix = opts.prefix ?? 'ciigraph:';
    this.headKey = `${this.prefix}audit:head`;
    this.entriesKey = `${this.prefix}audit:entries`;
    this.waiterKey = `${this.prefix}audit:waiter`;
  }

  private personKey(avs: string): string {
    return `${this.prefix}audit:avs:${avs}`;
  }

  append(entries: readonly NewAccessLogEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ entries, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /**
   * One write in flight per instance: appends made meanwhile would only collide on the head,
   * so they wait and go together in the next write, each batch still whole and contiguous.
   */
  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      let size = 0;
      let take = 0;
      while (take < this.pending.length && (take === 0 || size + this.pending[take]!.entries.length <= MAX_ENTRIES_PER_WRITE)) {
        size += this.pending[take]!.entries.length;
        take++;
      }
      const group = this.pending.splice(0, take);
      try {
        await this.write(group.flatMap((g) => g.entries));
        for (const g of group) g.resolve();
      } catch (e) {
        for (const g of group) g.reject(e);
      }
    }
    this.writing = false;
  }

  private async write(entries: readonly NewAccessLogEntry[]): Promise<void> {
    // Lost races are bounded by APPEND_ATTEMPTS; standing back for another writer's turn is
    // bounded apart (each turn lasts at most WAITER_TTL_MS).
    let conflicts = 0;
    let standBacks = 0;
    while (conflicts < APPEND_ATTEMPTS && standBacks < MAX_STAND_BACKS) {
      const expected = this.head;
      const chained = chain(
        expected.hash,
        entries.map((e, i) => ({ ...e, id: String(expected.seq + i + 1) })),
      );
      const next: Head = { seq: expected.seq + chained.length, hash: chained.at(-1)!.hash };
      const keys = [this.headKey, this.entriesKey, this.waiterKey, ...chained.map((e) => this.personKey(e.avs))];
      const args: string[] = [formatHead(GENESIS), formatHead(expected), formatHead(next), this.token];
      for (const e of chained) args.push(e.id, JSON.stringify(e));

      const reply = (await evalScript(this.redis, COMPARE_AND_APPEND, keys, args)) as [number, string];
      const [status, value] = [Number(reply[0]), String(reply[1])];
      if (status === 1) {
        this.head = next;
        return;
      }
      if (status === 2) {
        throw new Error(`access log: entry ${value} already exists beyond the head; the log is damaged (run npm run audit:verify)`);
      }
      // Our own write, seen again: the client resent the script after a reconnect, and the
      // first run had landed. Anyone else's batch would end on another hash.
      if (value === formatHead(next)) {
        this.head = next;
        return;
      }
      const current = parseHead(value);
      if (!current) throw new Error(`access log: the head is malformed (${value}); the log is damaged (run npm run audit:verify)`);
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
    const key = this.personKey(q.avs);
    // A case reference filters after reading, so read wider pages to need fewer of them.
    const pageSize = q.caseReference === undefined ? q.first : Math.min(Math.max(q.first * 4, 100), 1000);
    let max = q.before === undefined ? '+inf' : `(${q.before}`;
    const out: AccessLogEntry[] = [];
    for (;;) {
      const ids = await this.redis.zrevrangebyscore(key, max, '-inf', 'LIMIT', 0, pageSize);
      if (ids.length === 0) return out;
      const raws = await this.redis.hmget(this.entriesKey, ...ids);
      for (const raw of raws) {
        // A deleted or unreadable entry is verify()'s to report; a read shows what holds.
        const e = raw === null ? null : parseEntry(raw);
        if (!e || e.avs !== q.avs) continue;
        if (q.caseReference !== undefined && e.caseReference !== q.caseReference) continue;
        out.push(strip(e));
        if (out.length === q.first) return out;
      }
      if (ids.length < pageSize) return out;
      max = `(${ids.at(-1)!}`;
    }
  }

  async verify(): Promise<ChainVerdict> {
    // Head and entry count from one snapshot; entries up to the head never change after.
    const snapshot = await this.redis.multi().get(this.headKey).hlen(this.entriesKey).exec();
    if (snapshot === null) throw new Error('access log: the verification snapshot was aborted');
    for (const [err] of snapshot) if (err) throw err;
    const rawHead = snapshot[0]![1] as string | null;
    const stored = Number(snapshot[1]![1]);
    const head = rawHead === null ? GENESIS : parseHead(rawHead);
    if (!head) return { ok: false, count: 0, firstBroken: 'head', reason: `the head is malformed: ${JSON.stringify(rawHead)}` };

    // Streamed in chunks through the shared verifier, never the whole log in memory.
    const verifier = new ChainVerifier();
    for (let start = 1; start <= head.seq; start += VERIFY_CHUNK) {
      const ids: string[] = [];
      for (let id = start; id <= Math.min(start + VERIFY_CHUNK - 1, head.seq); id++) ids.push(String(id));
      const raws = await this.redis.hmget(this.entriesKey, ...ids);
      for (const raw of raws) {
        const entry = raw === null ? null : (parseEntry(raw) ?? ({ id: '(unreadable)' } as ChainedEntry));
        if (!verifier.push(entry)) return verifier.verdict();
      }
    }
    const verdict = verifier.verdict();
    if (!verdict.ok) return verdict;
    const { count, head: prev } = verdict;
    if (head.hash !== prev) {
      return {
        ok: false,
        count,
        firstBroken: head.seq === 0 ? 'head' : String(head.seq),
        reason: `the head does not match entry ${head.seq}'s hash (the head or the last entry was rewritten)`,
      };
    }
    if (stored > head.seq) {
      return {
        ok: false,
        count,
        firstBroken: String(head.seq + 1),
        reason: `the log holds ${stored} entries but its head is entry ${head.seq} (entries were added beyond the head, or the head was reset)`,
      };
    }
    return { ok: true, count, head: head.hash };
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}
}

function parseEntry(raw: string): ChainedEntry | null {
  try {
    const e = JSON.parse(raw) as unknown;
    if (typeof e !== 'object' || e === null) return null;
    const c = e as ChainedEntry;
    return typeof c.id === 'string' && typeof c.hash === 'string' && typeof c.prevHash === 'string' ? c : null;
  } catch {
    return null;
  }
}

function strip({ prevHash: _p, hash: _h, ...entry }: ChainedEntry): AccessLogEntry {
  return entry;
}
