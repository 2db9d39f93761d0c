// The access log contract (lib/audit/log.ts), proven against both implementations: ids 1..n
// in append order, one person's entries newest first with paging and a case-reference filter,
// and a hash chain of records (one per append) that verifies. Redis-only: several processes
// appending at once keep one chain; a record altered or deleted in Redis is named by verify()
// and by `npm run audit:verify`; a log in the old per-entry layout is refused, not extended;
// an unreachable Redis makes appends reject, and they resume once it is back.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, entriesOf, entryCount, GENESIS_HASH, groupEntries, parseRecord, personsOf, recordOf, serializeRecord, sharePersons, type ChainedRecord, type EntryGroup, type EntryItem } from '../lib/audit/chain.ts';
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

/** What the log should hold: the entries with their ids 1..n, in append order. */
const numbered = (entries: readonly NewAccessLogEntry[]): AccessLogEntry[] =>
  entries.map((e, i) => ({ ...e, id: String(i + 1) }));

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
    const first = chain(GENESIS_HASH, recordOf(1, 1, groupEntries(appended.slice(0, 1)))).record;
    const second = chain(first.hash, recordOf(2, 2, groupEntries(appended.slice(1)))).record;
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

  it('journals runs (one decision for many persons) as one entry per person, in order, among single rows', async () => {
    const log = create();
    const at = new Date(clock).toISOString();
    const head = [at, 'AI', 'case-manager', 'cm-1', 'cii', 'AI-7', 'unemployment', 'req-runs'] as const;
    const group: EntryGroup = [
      ...head,
      [
        ['ac.registration', 'ALLOWED', 'LPGA art. 32 al. 1', null, [A, B]],
        [B, 'ac.entitlement', 'ALLOWED', null, 'consent-1'],
        ['ac.measures', 'DENIED', null, null, [A, B]],
      ],
    ];
    await log.appendGroups([group]);
    const common = { at, institution: 'AI', role: 'case-manager', subject: 'cm-1', purpose: 'cii', caseReference: 'AI-7', subgraph: 'unemployment', requestId: 'req-runs' };
    expect(await log.query({ avs: B, first: 10 })).toEqual([
      { ...common, id: '5', avs: B, category: 'ac.measures', decision: 'DENIED', legalBasis: null, consentId: null },
      { ...common, id: '3', avs: B, category: 'ac.entitlement', decision: 'ALLOWED', legalBasis: null, consentId: 'consent-1' },
      { ...common, id: '2', avs: B, category: 'ac.registration', decision: 'ALLOWED', legalBasis: 'LPGA art. 32 al. 1', consentId: null },
    ]);
    expect(ids(await log.query({ avs: A, first: 10 }))).toEqual(['4', '1']);
    await log.append([entry()]);
    expect(await log.verify()).toMatchObject({ ok: true, count: 6, records: 2 });
    expect(chain(GENESIS_HASH, recordOf(1, 1, [group])).record.hash).toBe(chain(GENESIS_HASH, recordOf(1, 1, JSON.parse(JSON.stringify([group])))).record.hash);
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

describe('stored record format', () => {
  const head = ['2026-11-20T08:00:00.000Z', 'AI', 'case-manager', 'cm-1', null, null, 'unemployment', 'r1'];
  const stored = (items: unknown[]) => serializeRecord(chain(GENESIS_HASH, recordOf(1, 1, [[...head, items] as unknown as EntryGroup])));
  it('reads back rows and runs as written', () => {
    const text = stored([[A, 'ac.registration', 'ALLOWED', 'LPGA art. 32 al. 1', null], ['ac.measures', 'DENIED', null, null, [A, B]]]);
    expect(parseRecord(text)?.groups[0]![8]).toEqual([[A, 'ac.registration', 'ALLOWED', 'LPGA art. 32 al. 1', null], ['ac.measures', 'DENIED', null, null, [A, B]]]);
  });
  it('refuses a run without persons or with a person that is not a string, and a row of the wrong length', () => {
    expect(parseRecord(stored([['ac.measures', 'DENIED', null, null, []]]))).toBeNull();
    expect(parseRecord(stored([['ac.measures', 'DENIED', null, null, [A, 7]]]))).toBeNull();
    expect(parseRecord(stored([[A, 'ac.registration', 'ALLOWED']]))).toBeNull();
  });
  it('writes the persons of runs decided alike once: a later run names the earlier one, and reads back as every entry', () => {
    const C = '756.5555.4444.36';
    const items: EntryItem[] = [
      ['ac.registration', 'ALLOWED', 'LPGA art. 32 al. 1', null, [A, B, C]],
      ['ac.measures', 'DENIED', null, null, [A, C]],
      ['ac.entitlement', 'ALLOWED', 'LPGA art. 32 al. 1', null, [A, B, C]],
      [B, 'ac.employability', 'ALLOWED', null, 'consent-1'],
      ['ac.employability', 'DENIED', null, null, [A, C]],
      ['ai.file', 'DENIED', null, null, [B, A, C]],
    ];
    sharePersons(items);
    expect(items.map((i) => i[4])).toEqual([[A, B, C], [A, C], 0, 'consent-1', 1, [B, A, C]]);
    const record = parseRecord(stored(items))!;
    expect(record.groups[0]![8]).toEqual(items);
    const read = entriesOf(record).map((e) => [e.id, e.avs, e.category, e.decision]);
    expect(read).toEqual([
      ['1', A, 'ac.registration', 'ALLOWED'], ['2', B, 'ac.registration', 'ALLOWED'], ['3', C, 'ac.registration', 'ALLOWED'],
      ['4', A, 'ac.measures', 'DENIED'], ['5', C, 'ac.measures', 'DENIED'],
      ['6', A, 'ac.entitlement', 'ALLOWED'], ['7', B, 'ac.entitlement', 'ALLOWED'], ['8', C, 'ac.entitlement', 'ALLOWED'],
      ['9', B, 'ac.employability', 'ALLOWED'],
      ['10', A, 'ac.employability', 'DENIED'], ['11', C, 'ac.employability', 'DENIED'],
      ['12', B, 'ai.file', 'DENIED'], ['13', A, 'ai.file', 'DENIED'], ['14', C, 'ai.file', 'DENIED'],
    ]);
    expect(entryCount(record.groups)).toBe(14);
    expect([...personsOf(record)].sort()).toEqual([A, B, C].sort());
  });
  it('reads a run of releases by consent as one entry per person with their own consent id', () => {
    const items: EntryItem[] = [
      ['as.benefits', 'ALLOWED', null, ['consent-a', 'consent-b'], [A, B]],
      ['as.situation', 'ALLOWED', null, ['consent-a', 'consent-b'], 0],
    ];
    const record = parseRecord(stored(items))!;
    expect(entriesOf(record).map((e) => [e.avs, e.category, e.decision, e.legalBasis, e.consentId])).toEqual([
      [A, 'as.benefits', 'ALLOWED', null, 'consent-a'],
      [B, 'as.benefits', 'ALLOWED', null, 'consent-b'],
      [A, 'as.situation', 'ALLOWED', null, 'consent-a'],
      [B, 'as.situation', 'ALLOWED', null, 'consent-b'],
    ]);
  });
  it('refuses consent ids that are not one string per person of the run, and a list of them on a row', () => {
    expect(parseRecord(stored([['as.benefits', 'ALLOWED', null, ['consent-a'], [A, B]]]))).toBeNull();
    expect(parseRecord(stored([['as.benefits', 'ALLOWED', null, ['consent-a', 7], [A, B]]]))).toBeNull();
    expect(parseRecord(stored([['as.benefits', 'ALLOWED', null, ['consent-a', 'consent-b'], [A, B]], ['as.situation', 'ALLOWED', null, ['consent-a'], 0]]))).toBeNull();
    expect(parseRecord(stored([[A, 'as.benefits', 'ALLOWED', ['x'], 'consent-a']]))).toBeNull();
  });
  it('refuses a run naming itself, a later item, a row or a run that names another', () => {
    const run = (persons: unknown) => ['ac.measures', 'DENIED', null, null, persons];
    expect(parseRecord(stored([run([A]), run(0)]))).not.toBeNull();
    expect(parseRecord(stored([run(0)]))).toBeNull();
    expect(parseRecord(stored([run(1), run([A])]))).toBeNull();
    expect(parseRecord(stored([[A, 'ac.registration', 'ALLOWED', 'LPGA art. 32 al. 1', null], run(0)]))).toBeNull();
    expect(parseRecord(stored([run([A]), run(0), run(1)]))).toBeNull();
    expect(parseRecord(stored([run([A]), run(0.5)]))).toBeNull();
  });
});

describe('access log: memory only', () => {
  it('keeps thousands of records, across its byte chunks and tables, and reads every one back as written', async () => {
    const log = new MemoryAuditLog();
    const persons = Array.from({ length: 40 }, (_, i) => `756.0000.${String(2000 + i).padStart(4, '0')}.00`);
    const written: NewAccessLogEntry[] = [];
    let head = GENESIS_HASH;
    // ~3,000 records of 1 to 80 entries: several 4 MiB chunks, tables grown several times.
    for (let r = 0; r < 3000; r++) {
      const requestId = `r-${r}`;
      const batch = Array.from({ length: 1 + ((r * 7) % 80) }, (_, k) => entry({ avs: persons[(r + k) % persons.length]!, requestId, subject: `cm-é-${r}` }));
      head = chain(head, recordOf(r + 1, written.length + 1, groupEntries(batch))).record.hash;
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
    const stored = JSON.parse((await redis.hget(records, String(seq)))!) as ChainedRecord;
    const rows = stored.groups.flatMap((g) => g[8]);
    const row = rows[entryId - stored.firstId]!;
    const was = row[2];
    row[2] = decision;
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
      expect(run.stdout).toBe(`access log intact: 5 entries in 3 records, head ${verdict.head}\n`);
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
      expect(await log.query({ avs: A, first: 10 })).toEqual([{ ...after, id: '1' }]);
      expect(await log.verify()).toMatchObject({ ok: true, count: 1 });
    } finally {
      await closeRedis(client);
      await own.stop();
    }
  });
});
