// The access log contract (lib/audit/log.ts), proven against both implementations: ids 1..n
// in append order, one person's entries newest first with paging and a case-reference filter,
// and a hash chain of records (one per append) that verifies. The record format: a caseload's
// decisions written compactly and read back one entry per person; records written by 0.2–0.4
// keep reading and verifying, and the chain goes on from them. Redis-only: several processes
// appending at once keep one chain; a record altered or deleted in Redis is named by verify()
// and by `npm run audit:verify`; a log in the old per-entry layout is refused, not extended;
// an unreachable Redis makes appends reject, and they resume once it is back.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GENESIS_HASH } from '../lib/audit/chain.ts';
import { entriesOf, groupOfDecisions, groupsOfEntries, linkOf, linkRecord, parseStoredRecord, personsOf, type LogGroup } from '../lib/audit/record-format.ts';
import type { AccessLogEntry, AuditLog, NewAccessLogEntry } from '../lib/audit/log.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { freePort } from './support/ports.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { runCommand } from './support/run-command.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const A = '756.1234.5678.97';
const B = '756.9876.5432.17';

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'audit-log-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

const uniquePrefix = () => `test-${randomUUID()}:`;

let clock = Date.UTC(2026, 10, 20, 8, 0);
function entry(over: Partial<NewAccessLogEntry> = {}): NewAccessLogEntry {
  clock += 1000;
  return {
    at: new Date(clock).toISOString(),
    institution: 'AI',
    role: 'case-manager',
    subject: 'cm-1',
    avs: A,
    category: 'ac.registration',
    decision: 'ALLOWED',
    legalBasis: 'LPGA art. 32 al. 1',
    consentId: null,
    purpose: 'cii',
    caseReference: 'AI-GE-2026-0815',
    subgraph: 'unemployment',
    requestId: randomUUID(),
    ...over,
  };
}

/** An entry as the log reads it back: what it did not say is a READ with no reason, rule, client or policy. */
const asRead = (e: NewAccessLogEntry, id: string): AccessLogEntry => ({
  action: 'READ',
  client: null,
  reason: null,
  rule: null,
  condition: null,
  policy: null,
  ...e,
  id,
});

/** What the log should hold: the entries with their ids 1..n, in append order. */
const numbered = (entries: readonly NewAccessLogEntry[]): AccessLogEntry[] => entries.map((e, i) => asRead(e, String(i + 1)));

const ids = (entries: readonly AccessLogEntry[]) => entries.map((e) => e.id);

const factories: { name: string; create: () => AuditLog }[] = [
  { name: 'memory', create: () => new MemoryAuditLog() },
  { name: 'redis', create: () => new RedisAuditLog(redis, { prefix: uniquePrefix() }) },
];

describe.each(factories)('access log: $name', ({ create }) => {
  it('assigns ids 1..n in append order, across batches', async () => {
    const log = create();
    const appended = [entry({ category: 'ac.registration' }), entry({ category: 'ac.entitlement' }), entry({ category: 'ai.file' })];
    await log.append(appended.slice(0, 2));
    await log.append(appended.slice(2));
    expect(await log.query({ avs: A, first: 100 })).toEqual(numbered(appended).reverse());
  });

  it("returns one person's entries only, newest first, at most `first`", async () => {
    const log = create();
    const appended = Array.from({ length: 12 }, (_, i) => entry({ avs: i % 3 === 0 ? B : A }));
    await log.append(appended);
    const ofA = numbered(appended).filter((e) => e.avs === A).reverse();
    const ofB = numbered(appended).filter((e) => e.avs === B).reverse();

    expect(await log.query({ avs: A, first: 100 })).toEqual(ofA);
    expect(await log.query({ avs: B, first: 100 })).toEqual(ofB);
    expect(await log.query({ avs: A, first: 3 })).toEqual(ofA.slice(0, 3));
    expect(await log.query({ avs: '756.0000.0000.19', first: 100 })).toEqual([]);
  });

  it('pages to older entries with `before` (exclusive)', async () => {
    const log = create();
    const appended = Array.from({ length: 11 }, (_, i) => entry({ avs: i % 4 === 0 ? B : A }));
    await log.append(appended);
    const ofA = numbered(appended).filter((e) => e.avs === A).reverse();

    const pages: AccessLogEntry[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = await log.query({ avs: A, first: 3, before });
      if (page.length === 0) break;
      pages.push(page);
      before = page.at(-1)!.id;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(pages.flat()).toEqual(ofA);
    // `before` names an entry that is not the person's own: still a bound.
    expect(ids(await log.query({ avs: A, first: 100, before: '5' }))).toEqual(ids(ofA.filter((e) => Number(e.id) < 5)));
  });

  it('filters by case reference, with `first` and `before`', async () => {
    const log = create();
    const appended = Array.from({ length: 30 }, (_, i) =>
      entry({ caseReference: i % 5 === 0 ? 'AC-ZH-2026-0001' : i % 2 === 0 ? 'AI-GE-2026-0815' : null }),
    );
    await log.append(appended);
    const ofCase = numbered(appended).filter((e) => e.caseReference === 'AC-ZH-2026-0001').reverse();
    expect(ofCase).toHaveLength(6);

    expect(await log.query({ avs: A, first: 100, caseReference: 'AC-ZH-2026-0001' })).toEqual(ofCase);
    expect(await log.query({ avs: A, first: 2, caseReference: 'AC-ZH-2026-0001' })).toEqual(ofCase.slice(0, 2));
    expect(await log.query({ avs: A, first: 2, caseReference: 'AC-ZH-2026-0001', before: ofCase[1]!.id })).toEqual(ofCase.slice(2, 4));
    expect(await log.query({ avs: A, first: 100, caseReference: 'unknown-case' })).toEqual([]);
  });

  it('verifies an intact chain and names its head', async () => {
    const log = create();
    expect(await log.verify()).toEqual({ ok: true, count: 0, records: 0, head: GENESIS_HASH });
    const appended = [entry(), entry({ decision: 'DENIED', legalBasis: null }), entry({ avs: B })];
    await log.append(appended.slice(0, 1));
    await log.append(appended.slice(1));
    // Computed here from the entries alone: the chain does not depend on how a log stores it.
    const first = linkRecord(GENESIS_HASH, 1, 1, groupsOfEntries(appended.slice(0, 1))).record;
    const second = linkRecord(first.hash, 2, 2, groupsOfEntries(appended.slice(1))).record;
    expect(await log.verify()).toEqual({ ok: true, count: 3, records: 2, head: second.hash });
  });

  it("journals a caseload's decisions as one record and still answers per person", async () => {
    const log = create();
    const requestId = randomUUID();
    const persons = Array.from({ length: 200 }, (_, i) => `756.0000.${String(1000 + i).padStart(4, '0')}.00`);
    const categories = ['ac.registration', 'ac.entitlement', 'ac.measures', 'ac.employability'];
    const at = new Date(clock).toISOString();
    const caseload = persons.flatMap((avs) => categories.map((category) => entry({ avs, category, at, requestId })));
    await log.append([entry()]);
    await log.append(caseload);
    expect(await log.verify()).toMatchObject({ ok: true, count: 801, records: 2 });
    const mine = await log.query({ avs: persons[7]!, first: 100 });
    expect(mine.map((e) => [e.id, e.category])).toEqual(categories.map((c, k) => [String(2 + 7 * 4 + k), c]).reverse());
    expect(mine.every((e) => e.requestId === requestId && e.at === at)).toBe(true);
  });

  it("journals a request's decisions as one entry per person, in order, with reason, rule and policy", async () => {
    const log = create();
    const at = new Date(clock).toISOString();
    const header = { at, requester: { institution: 'AI' as const, role: 'case-manager', subject: 'cm-1', client: 'case-platform' }, purpose: 'cii', caseReference: 'AI-7', subgraph: 'unemployment', requestId: 'req-runs', policy: 'sample 1' };
    const group = groupOfDecisions(header, [
      { avs: A, category: 'ac.registration', allowed: true, rule: 1, legalBasis: 'LPGA art. 32 al. 1' },
      { avs: B, category: 'ac.registration', allowed: true, rule: 1, legalBasis: 'LPGA art. 32 al. 1' },
      { avs: B, category: 'ac.entitlement', allowed: true, rule: 1, consentId: 'consent-1' },
      { avs: A, category: 'ac.measures', allowed: false, reason: 'CONDITION_UNMET', rule: 1, legalBasis: 'LAI art. 68bis', condition: { type: 'purposeIn', demands: '', unmet: '' } },
      { avs: B, category: 'ac.measures', allowed: false, reason: 'CONDITION_UNMET', rule: 1, legalBasis: 'LAI art. 68bis', condition: { type: 'purposeIn', demands: '', unmet: '' } },
    ]);
    await log.appendGroups([group]);
    const common = { at, action: 'READ', institution: 'AI', role: 'case-manager', subject: 'cm-1', client: 'case-platform', purpose: 'cii', caseReference: 'AI-7', subgraph: 'unemployment', requestId: 'req-runs', policy: 'sample 1', rule: 1 };
    expect(await log.query({ avs: B, first: 10 })).toEqual([
      { ...common, id: '5', avs: B, category: 'ac.measures', decision: 'DENIED', reason: 'CONDITION_UNMET', legalBasis: null, consentId: null, condition: 'purposeIn' },
      { ...common, id: '3', avs: B, category: 'ac.entitlement', decision: 'ALLOWED', reason: null, legalBasis: null, consentId: 'consent-1', condition: null },
      { ...common, id: '2', avs: B, category: 'ac.registration', decision: 'ALLOWED', reason: null, legalBasis: 'LPGA art. 32 al. 1', consentId: null, condition: null },
    ]);
    expect(ids(await log.query({ avs: A, first: 10 }))).toEqual(['4', '1']);
    await log.append([entry()]);
    expect(await log.verify()).toMatchObject({ ok: true, count: 6, records: 2 });
  });

  it('keeps one chain when one instance appends many batches at once', async () => {
    const log = create();
    const batches = Array.from({ length: 20 }, (_, b) => [entry({ requestId: `batch-${b}` }), entry({ requestId: `batch-${b}` })]);
    await Promise.all(batches.map((batch) => log.append(batch)));

    const all = await log.query({ avs: A, first: 1000 });
    expect(ids(all).map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Each batch lands whole: its two entries are neighbours, in order.
    for (let b = 0; b < 20; b++) {
      const mine = all.filter((e) => e.requestId === `batch-${b}`).map((e) => Number(e.id));
      expect(mine).toHaveLength(2);
      expect(mine[0]! - mine[1]!).toBe(1);
    }
    expect(await log.verify()).toMatchObject({ ok: true, count: 40 });
  });
});

describe('record format', () => {
  const header = { at: '2026-11-20T08:00:00.000Z', requester: { institution: 'AI' as const, role: 'case-manager', subject: 'cm-1' }, purpose: 'cii', caseReference: null, subgraph: 'unemployment', requestId: 'r1', policy: 'sample 1' };
  const C = '756.5555.4444.36';
  const caseload = Array.from({ length: 200 }, (_, i) => `756.0000.${String(1000 + i).padStart(4, '0')}.00`);

  it("writes a caseload's persons once per record, however many categories are decided alike for them, and reads every entry back", () => {
    const decisions = ['ai.file', 'ai.measures', 'ai.decision'].flatMap((category) =>
      caseload.map((avs) => ({ avs, category, allowed: true as const, rule: 1, legalBasis: 'LAI art. 68bis' })),
    );
    const { stored, record } = linkRecord(GENESIS_HASH, 1, 1, [groupOfDecisions(header, decisions)]);
    for (const avs of [caseload[0]!, caseload[199]!]) expect(stored.split(avs).length - 1).toBe(1);
    expect(entriesOf(record).map((e) => `${e.avs} ${e.category}`)).toEqual(decisions.map((d) => `${d.avs} ${d.category}`));
    expect(personsOf(record).size).toBe(200);
  });

  it("keeps each person's own consent id, and a list of their own for persons decided otherwise", () => {
    const d = (avs: string, consentId?: string) =>
      consentId ? { avs, category: 'as.benefits', allowed: true as const, rule: 1, consentId } : { avs, category: 'as.benefits', allowed: false as const, reason: 'NO_CONSENT' as const, rule: 1 };
    const { record } = linkRecord(GENESIS_HASH, 1, 1, [groupOfDecisions(header, [d(A, 'k-a'), d(B), d(C, 'k-c')])]);
    expect(entriesOf(record).map((e) => [e.id, e.avs, e.decision, e.consentId, e.reason])).toEqual([
      ['1', A, 'ALLOWED', 'k-a', null],
      ['2', C, 'ALLOWED', 'k-c', null],
      ['3', B, 'DENIED', null, 'NO_CONSENT'],
    ]);
  });

  it('reads back what it wrote, and refuses what is not a record of a known version', () => {
    const { stored, record } = linkRecord(GENESIS_HASH, 1, 1, [groupOfDecisions(header, [{ avs: A, category: 'ai.file', allowed: true, rule: 1, legalBasis: 'x' }])]);
    expect(parseStoredRecord(stored)).toEqual(record);
    const tamper = (edit: (r: { v: number; groups: LogGroup[] }) => void) => {
      const r = JSON.parse(stored) as { v: number; groups: LogGroup[] };
      edit(r);
      return parseStoredRecord(JSON.stringify(r));
    };
    expect(tamper((r) => (r.v = 6))).toBeNull();
    expect(tamper((r) => (r.groups[0]!.items[0]!.persons = []))).toBeNull();
    expect(tamper((r) => (r.groups[0]!.items[0]!.persons = 0))).toBeNull();
    expect(tamper((r) => (r.groups[0]!.items[0]!.consentIds = ['a', 'b']))).toBeNull();
    expect(tamper((r) => ((r.groups[0]!.items[0] as { decision: string }).decision = 'MAYBE'))).toBeNull();
    expect(tamper((r) => ((r.groups[0] as { extra?: number }).extra = 1))).toBeNull();
    expect(parseStoredRecord('not json')).toBeNull();
  });

  it("reads a record's place in the chain from its text alone, and nothing from a text altered or in another form", () => {
    const { stored, record } = linkRecord('a'.repeat(64), 7, 30, [groupOfDecisions(header, [{ avs: A, category: 'ai.file', allowed: true, rule: 1, legalBasis: 'x' }])]);
    expect(linkOf(stored)).toEqual({ seq: 7, firstId: 30, prevHash: 'a'.repeat(64), hash: record.hash });
    expect(linkOf(stored.replace('"decision":"ALLOWED"', '"decision":"DENIED"'))).toBeNull();
    expect(linkOf(stored.replace('"seq":7', '"seq":8'))).toBeNull();
    expect(linkOf(JSON.stringify({ ...JSON.parse(stored), v: 5 }, null, 1))).toBeNull();
    const old = JSON.parse(readFileSync(new URL('./fixtures/access-log-0.4.json', import.meta.url), 'utf8')) as { records: Record<string, string> };
    expect(linkOf(Object.values(old.records)[0]!)).toBeNull();
  });

  it('reads records written by ciigraph 0.2–0.4 (rows, runs, shared persons, consent lists) as they read then', () => {
    const old = JSON.parse(readFileSync(new URL('./fixtures/access-log-0.4.json', import.meta.url), 'utf8')) as { records: Record<string, string>; entries: NewAccessLogEntry[] };
    const read = Object.values(old.records).flatMap((raw) => entriesOf(parseStoredRecord(raw)!));
    expect(read).toEqual(old.entries.map((e) => asRead(e, (e as AccessLogEntry).id)));
  });
});

describe('access log: memory only', () => {
  it('keeps thousands of records and reads every one back as written', async () => {
    const log = new MemoryAuditLog();
    const persons = Array.from({ length: 40 }, (_, i) => `756.0000.${String(2000 + i).padStart(4, '0')}.00`);
    const written: NewAccessLogEntry[] = [];
    let head = GENESIS_HASH;
    // ~3,000 records of 1 to 80 entries.
    for (let r = 0; r < 3000; r++) {
      const requestId = `r-${r}`;
      const batch = Array.from({ length: 1 + ((r * 7) % 80) }, (_, k) => entry({ avs: persons[(r + k) % persons.length]!, requestId, subject: `cm-é-${r}` }));
      head = linkRecord(head, r + 1, written.length + 1, groupsOfEntries(batch)).record.hash;
      written.push(...batch);
      await log.append(batch);
      if (r === 1500) {
        // Read while the log grows: what is written after a read is found by the next read.
        const mid = persons[5]!;
        expect(await log.query({ avs: mid, first: 100_000 })).toEqual(numbered(written).filter((e) => e.avs === mid).reverse());
      }
    }
    expect(await log.verify()).toEqual({ ok: true, count: written.length, records: 3000, head });
    expect(log.all()).toEqual(numbered(written));
    const p = persons[13]!;
    const expected = numbered(written).filter((e) => e.avs === p).reverse();
    expect(await log.query({ avs: p, first: 100_000 })).toEqual(expected);
    expect(await log.query({ avs: p, first: 5, before: expected[40]!.id })).toEqual(expected.slice(41, 46));
  });
});

describe('access log: redis only', () => {
  const keys = (prefix: string) => ({ records: `${prefix}audit:records`, head: `${prefix}audit:head` });

  /** `count` entries appended two at a time: record k holds entries 2k-1 and 2k. */
  async function seeded(count: number, decisionOf: (i: number) => 'ALLOWED' | 'DENIED' = () => 'ALLOWED') {
    const prefix = uniquePrefix();
    const log = new RedisAuditLog(redis, { prefix });
    const appended = Array.from({ length: count }, (_, i) => entry({ decision: decisionOf(i + 1) }));
    for (let i = 0; i < count; i += 2) await log.append(appended.slice(i, i + 2));
    return { prefix, log, ...keys(prefix) };
  }

  /** Rewrites one entry's decision inside its stored record, as someone with access to Redis could. */
  async function rewriteDecision(records: string, seq: number, entryId: number, decision: 'ALLOWED' | 'DENIED') {
    const stored = JSON.parse((await redis.hget(records, String(seq)))!) as { firstId: number; groups: LogGroup[] };
    // Appended one entry per item (see seeded).
    const item = stored.groups.flatMap((g) => g.items)[entryId - stored.firstId]!;
    const was = item.decision;
    item.decision = decision;
    await redis.hset(records, String(seq), JSON.stringify(stored));
    return was;
  }

  /** Two clients of their own, as two processes would have, for the duration of `use`. */
  async function twoProcesses(use: (logs: [RedisAuditLog, RedisAuditLog]) => Promise<void>): Promise<void> {
    const prefix = uniquePrefix();
    const clients = [createRedis(server.url, { name: 'appender-1' }), createRedis(server.url, { name: 'appender-2' })];
    try {
      await Promise.all(clients.map((c) => waitForRedis(c, 10_000)));
      await use([new RedisAuditLog(clients[0]!, { prefix }), new RedisAuditLog(clients[1]!, { prefix })]);
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  }

  it('keeps one chain with several processes appending at once: no id lost or doubled', async () => {
    await twoProcesses(async (logs) => {
      // The second writes first, so the first starts from a stale head and must re-chain.
      await logs[1].append([entry({ avs: B, requestId: 'p1-first', subject: 'k0' })]);
      // 20 batches of 3 per process, all in flight at once.
      await Promise.all(
        logs.flatMap((log, p) =>
          Array.from({ length: 20 }, (_, b) =>
            log.append([0, 1, 2].map((k) => entry({ avs: p === 0 ? A : B, requestId: `p${p}-b${b}`, subject: `k${k}` }))),
          ),
        ),
      );

      const all = [...(await logs[0].query({ avs: A, first: 1000 })), ...(await logs[1].query({ avs: B, first: 1000 }))];
      expect(ids(all).map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
      expect(ids(all.filter((e) => e.requestId === 'p1-first'))).toEqual(['1']);
      for (const requestId of new Set(all.map((e) => e.requestId))) {
        if (requestId === 'p1-first') continue;
        // Each batch whole, in order, contiguous.
        const batch = all.filter((e) => e.requestId === requestId).sort((x, y) => Number(x.id) - Number(y.id));
        expect(batch.map((e) => e.subject)).toEqual(['k0', 'k1', 'k2']);
        expect(Number(batch[2]!.id) - Number(batch[0]!.id)).toBe(2);
      }

      const verdict = await logs[0].verify();
      expect(verdict).toMatchObject({ ok: true, count: 121 });
      expect(await logs[1].verify()).toEqual(verdict);
    });
  });

  it('lets every writer through while others append without pause (no starvation)', async () => {
    await twoProcesses(async (logs) => {
      // Each appends one entry after the other, as fast as it can: the one that just won knows
      // the new head first, and without turns it could keep winning until the other gives up.
      const rounds = 400;
      await Promise.all(
        logs.map(async (log, p) => {
          for (let r = 0; r < rounds; r++) await log.append([entry({ avs: p === 0 ? A : B, requestId: `p${p}-${r}` })]);
        }),
      );
      expect(await logs[0].query({ avs: A, first: 1000 })).toHaveLength(rounds);
      expect(await logs[1].query({ avs: B, first: 1000 })).toHaveLength(rounds);
      expect(await logs[0].verify()).toMatchObject({ ok: true, count: 2 * rounds });
    });
  });

  it('verifies a log written by ciigraph 0.4 and goes on appending to its chain', async () => {
    const old = JSON.parse(readFileSync(new URL('./fixtures/access-log-0.4.json', import.meta.url), 'utf8')) as { head: string; records: Record<string, string>; entries: AccessLogEntry[] };
    const prefix = uniquePrefix();
    const { records, head } = keys(prefix);
    await redis.set(head, old.head);
    await redis.hset(records, old.records);
    // The person index as 0.4 kept it: each person's records scored by their first entry id.
    for (const [seq, raw] of Object.entries(old.records)) {
      const record = parseStoredRecord(raw)!;
      for (const avs of personsOf(record)) await redis.zadd(`${prefix}audit:avs:${avs}`, record.firstId, seq);
    }
    const log = new RedisAuditLog(redis, { prefix });
    expect(await log.verify()).toMatchObject({ ok: true, count: old.entries.length, records: 3 });
    await log.append([entry({ avs: A, category: 'ai.decision' })]);
    expect(await log.verify()).toMatchObject({ ok: true, count: old.entries.length + 1, records: 4 });
    const mine = await log.query({ avs: A, first: 100 });
    expect(mine[0]).toMatchObject({ id: String(old.entries.length + 1), category: 'ai.decision' });
    expect(mine.slice(1).map((e) => e.id)).toEqual(old.entries.filter((e) => e.avs === A).map((e) => e.id).reverse());
  });

  it('continues the chain of an existing log from a fresh instance', async () => {
    const { prefix, log } = await seeded(3);
    await new RedisAuditLog(redis, { prefix }).append([entry({ category: 'ai.file' })]);
    await log.append([entry({ category: 'ai.decision' })]);
    const newest = await log.query({ avs: A, first: 2 });
    expect(newest.map((e) => [e.id, e.category])).toEqual([['5', 'ai.decision'], ['4', 'ai.file']]);
    expect(await log.verify()).toMatchObject({ ok: true, count: 5 });
  });

  it('names the record holding an entry altered in Redis (a denial turned into a release) as the first broken', async () => {
    const { log, records } = await seeded(6, (i) => (i === 4 ? 'DENIED' : 'ALLOWED'));
    expect(await log.verify()).toMatchObject({ ok: true, count: 6, records: 3 });
    expect(await rewriteDecision(records, 2, 4, 'ALLOWED')).toBe('DENIED');

    const verdict = await log.verify();
    expect(verdict).toMatchObject({ ok: false, firstBroken: 'record 2 (entries 3–4)', count: 2 });
    expect(verdict.ok === false && verdict.reason).toMatch(/altered/);
  });

  it('names a record deleted from Redis as missing', async () => {
    const { log, records } = await seeded(6);
    await redis.hdel(records, '2');
    const verdict = await log.verify();
    expect(verdict).toMatchObject({ ok: false, firstBroken: 'record 2 (entries from 3)', count: 2 });
    expect(verdict.ok === false && verdict.reason).toMatch(/missing/);
  });

  it('names a record replaced by something unreadable as altered', async () => {
    const { log, records } = await seeded(4);
    await redis.hset(records, '1', '{"not":"a record"}');
    const verdict = await log.verify();
    expect(verdict).toMatchObject({ ok: false, firstBroken: 'record 1 (entries from 1)', count: 0 });
    expect(verdict.ok === false && verdict.reason).toMatch(/no longer a readable record/);
  });

  it('reports a head that does not match the last record', async () => {
    const { log, head } = await seeded(4);
    await redis.set(head, `2:4:${'f'.repeat(64)}`);
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: 'record 2' });
  });

  it('refuses to append over records that lie beyond the head', async () => {
    const { prefix, head } = await seeded(4);
    await redis.del(head); // the head reset: appending record 1 would overwrite the evidence
    const fresh = new RedisAuditLog(redis, { prefix });
    await expect(fresh.append([entry()])).rejects.toThrow(/already exists/);
    expect(await fresh.verify()).toMatchObject({ ok: false, firstBroken: 'record 1' });
  });

  it('refuses to extend a log in the per-entry layout of earlier versions, and says why', async () => {
    const prefix = uniquePrefix();
    await redis.set(`${prefix}audit:head`, `3:${'a'.repeat(64)}`);
    const log = new RedisAuditLog(redis, { prefix });
    // The first append starts from genesis, meets the old head and refuses to chain onto it.
    await expect(log.append([entry()])).rejects.toThrow(/per-entry layout/);
    expect(await redis.hlen(`${prefix}audit:records`)).toBe(0);
    const verdict = await log.verify();
    expect(verdict).toMatchObject({ ok: false, firstBroken: 'head' });
    expect(verdict.ok === false && verdict.reason).toMatch(/per-entry layout/);
  });

  describe('npm run audit:verify', () => {
    interface Run {
      code: number | null;
      stdout: string;
      stderr: string;
    }

    function auditVerify(env: Record<string, string>): Promise<Run> {
      const base: NodeJS.ProcessEnv = { ...process.env };
      delete base.REDIS_URL;
      delete base.REDIS_PREFIX;
      return runCommand('npx', ['tsx', 'bin/audit-verify.ts'], { ...base, ...env });
    }

    it('prints the intact line with the count and the head, exit 0', async () => {
      const { prefix, log } = await seeded(5);
      const verdict = await log.verify();
      if (!verdict.ok) throw new Error('the seeded log should verify');
      const run = await auditVerify({ REDIS_URL: server.url, REDIS_PREFIX: prefix });
      expect(run.stdout.split('\n')[0]).toBe(`access log intact: 5 entries in 3 records, head ${verdict.head}`);
      // Written by no sealing writer: nothing signed it yet, and verify says so.
      expect(run.stdout).toContain('not sealed: no checkpoint yet (records 1–3)');
      expect(run.code).toBe(0);
    });

    it('names the broken record and its entries, exit 1', async () => {
      const { prefix, records } = await seeded(5, (i) => (i === 2 ? 'DENIED' : 'ALLOWED'));
      await rewriteDecision(records, 1, 2, 'ALLOWED');
      const run = await auditVerify({ REDIS_URL: server.url, REDIS_PREFIX: prefix });
      expect(run.stdout).toMatch(/^access log BROKEN at record 1 \(entries 1–2\): .*altered/);
      expect(run.code).toBe(1);
    });

    it('explains that the in-memory log lives in the running stack when REDIS_URL is unset, exit 2', async () => {
      const run = await auditVerify({});
      expect(run.stderr).toMatch(/REDIS_URL is not set.*in memory/s);
      expect(run.stdout).toBe('');
      expect(run.code).toBe(2);
    });

    it('says Redis cannot be reached, exit 2', async () => {
      const nobody = await freePort();
      const run = await auditVerify({ REDIS_URL: `redis://127.0.0.1:${nobody}` });
      expect(run.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${nobody}`);
      expect(run.stdout).toBe('');
      expect(run.code).toBe(2);
    });
  });

  it('rejects appends while Redis is down and appends again once it is back', async () => {
    const own = await startRedisServer();
    const client = createRedis(own.url, { name: 'audit-log-outage' });
    try {
      await waitForRedis(client, 10_000);
      const log = new RedisAuditLog(client, { prefix: uniquePrefix() });
      await log.append([entry()]);

      await own.stop();
      await expect(log.append([entry()])).rejects.toThrow();

      await own.restart();
      await waitForRedis(client, 10_000);
      // The restarted server is empty (no persistence): the log starts over, still one chain.
      const after = entry({ category: 'ai.file' });
      await log.append([after]);
      expect(await log.query({ avs: A, first: 10 })).toEqual([asRead(after, '1')]);
      expect(await log.verify()).toMatchObject({ ok: true, count: 1 });
    } finally {
      await closeRedis(client);
      await own.stop();
    }
  });
});
