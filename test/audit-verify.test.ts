// Verification of the live log (lib/audit/verify.ts, npm run audit:verify) against someone
// who can write to Redis but holds neither the signing key nor the archive (CONTRACT.md
// section 7): each tampering the contract names is detected and named: records truncated
// from the end (the head reset), a record altered and the chain re-hashed after it, a record
// inserted (and everything after it re-numbered and re-hashed), a person's index emptied or
// thinned, a checkpoint replaced (forged with another key, or moved) or removed. An intact
// log verifies, with what was checked; the command exits 1 on each finding and 2 when it has
// no key to check signatures with.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpointer, signCheckpoint } from '../lib/audit/checkpoint.ts';
import type { NewAccessLogEntry } from '../lib/audit/log.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { groupsOfEntries, linkRecord, parseStoredRecord } from '../lib/audit/record-format.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { ephemeralSigner, newKeyPairPem, readSigningKey, TrustedKeys, type LogSigner } from '../lib/audit/signing-keys.ts';
import { verifyAccessLog, type Finding } from '../lib/audit/verify.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { runCommand } from './support/run-command.ts';

const A = '756.1234.5678.97';
const B = '756.9876.5432.17';
let server: RedisServerHandle;
let redis: Redis;
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-verify-'));
const keyPair = newKeyPairPem();
const privateFile = join(dir, 'audit-signing-key.pem');
const publicFile = join(dir, 'audit-public-key.pem');
writeFileSync(privateFile, keyPair.privateKey, { mode: 0o600 });
writeFileSync(publicFile, keyPair.publicKey);
const signer: LogSigner = readSigningKey(privateFile);
const keys = new TrustedKeys([signer.publicKey]);

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'verify-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

let clock = Date.UTC(2026, 10, 20, 8, 0);
function entry(over: Partial<NewAccessLogEntry> = {}): NewAccessLogEntry {
  clock += 1000;
  return {
    at: new Date(clock).toISOString(),
    institution: 'AI',
    role: 'case-manager',
    subject: 'cm-1',
    avs: A,
    category: 'ai.file',
    decision: 'ALLOWED',
    legalBasis: 'LAI art. 68bis',
    consentId: null,
    purpose: 'cii',
    caseReference: 'AI-GE-2026-0815',
    subgraph: 'disability',
    requestId: randomUUID(),
    ...over,
  };
}

interface Sealed {
  prefix: string;
  log: RedisAuditLog;
  key: (name: string) => string;
}

/**
 * Six records of one entry each (A, B, A, B, A, B; record 4 a denial), sealed by checkpoint 1
 * at record 3 and checkpoint 2 at record 6, as a writer with the key leaves them.
 */
async function sealedLog(): Promise<Sealed> {
  const prefix = `test-${randomUUID()}:`;
  const log = new RedisAuditLog(redis, { prefix });
  const sealer = new Checkpointer(log, signer, keys, { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true });
  for (let i = 1; i <= 6; i++) {
    await log.append([entry({ avs: i % 2 ? A : B, ...(i === 4 ? { decision: 'DENIED', legalBasis: null, reason: 'NO_CONSENT' } : {}) })]);
    if (i === 3 || i === 6) expect(await sealer.seal()).toMatchObject({ sealed: { seq: i } });
  }
  return { prefix, log, key: (name) => `${prefix}audit:${name}` };
}

/** Records `from`..head re-linked after `edit` changed them, and the head set to the new last hash: what the chain alone accepts. */
async function rehash(s: Sealed, from: number, edit: (records: Map<number, ReturnType<typeof parseStoredRecord>>) => void): Promise<void> {
  const head = (await redis.get(s.key('head')))!.split(':').map((x, i) => (i < 2 ? Number(x) : x)) as [number, number, string];
  const records = new Map<number, ReturnType<typeof parseStoredRecord>>();
  for (let seq = from; seq <= head[0]; seq++) records.set(seq, parseStoredRecord((await redis.hget(s.key('records'), String(seq)))!));
  // The chain before `from` stays as it was.
  let { prevHash, firstId } = records.get(from)!;
  edit(records);
  let seq = from;
  await redis.hdel(s.key('records'), ...[...Array(head[0] - from + 1).keys()].map((k) => String(from + k)));
  let last = { seq: 0, lastId: 0, hash: '' };
  for (const r of [...records.entries()].sort(([a], [b]) => a - b).map(([, r]) => r!)) {
    if (r.v !== 5) throw new Error('version 5 records expected');
    const { record, stored } = linkRecord(prevHash, seq, firstId, r.groups);
    await redis.hset(s.key('records'), String(seq), stored);
    const count = r.groups.reduce((n, g) => n + g.items.length, 0);
    last = { seq, lastId: firstId + count - 1, hash: record.hash };
    prevHash = record.hash;
    firstId += count;
    seq++;
  }
  await redis.set(s.key('head'), `${last.seq}:${last.lastId}:${last.hash}`);
}

const problems = (findings: Finding[]) => findings.map((f) => `${f.where}: ${f.problem}`);

describe('an intact log', () => {
  it('verifies: chain, both checkpoints, the head sealed, each person index', async () => {
    const { log } = await sealedLog();
    const v = await verifyAccessLog({ store: log, keys });
    expect(v.findings).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.live).toMatchObject({ lastId: 6, firstSeq: 1, headSeq: 6, checkpoints: 2, latest: { n: 2, seq: 6 }, keyIds: [signer.keyId], unsealed: 0, persons: 2, mark: null });
  });

  it('counts what was appended after the last checkpoint as not sealed yet, without calling it broken', async () => {
    const { log } = await sealedLog();
    await log.append([entry()]);
    const v = await verifyAccessLog({ store: log, keys });
    expect(v.ok).toBe(true);
    expect(v.live).toMatchObject({ headSeq: 7, unsealed: 1 });
  });

  it('in memory too (the index is derived from the records there)', async () => {
    const log = new MemoryAuditLog();
    const sealer = new Checkpointer(log, signer, keys, { everyRecords: 2, everyMs: 3_600_000 }, { verifyBeforeSigning: false }).start();
    for (let i = 0; i < 5; i++) await log.append([entry()]);
    await sealer.close();
    const v = await verifyAccessLog({ store: log, keys });
    expect(v.findings).toEqual([]);
    expect(v.live).toMatchObject({ headSeq: 5, unsealed: 0, persons: null });
  });
});

describe('tampering, each detected and named', () => {
  it('records truncated from the end, the head reset onto what is left', async () => {
    const s = await sealedLog();
    const r4 = parseStoredRecord((await redis.hget(s.key('records'), '4'))!)!;
    await redis.hdel(s.key('records'), '5', '6');
    await redis.set(s.key('head'), `4:4:${r4.hash}`);
    // The chain alone holds: this is what "access log intact" used to say.
    expect(await s.log.verify()).toMatchObject({ ok: true, count: 4 });
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(v.ok).toBe(false);
    expect(problems(v.findings)).toContainEqual(expect.stringMatching(/^head: the head is record 4 \(entries up to 4\), but checkpoint 2 \(record 6\) seals entries up to 6: records 5–6 were removed from the end of the log/));
  });

  it('a record altered (a denial turned into a release) and every record after it re-hashed', async () => {
    const s = await sealedLog();
    await rehash(s, 4, (records) => {
      const r = records.get(4)!;
      if (r.v !== 5) throw new Error('v5');
      r.groups[0]!.items[0]!.decision = 'ALLOWED';
      delete r.groups[0]!.items[0]!.reason;
    });
    expect(await s.log.verify()).toMatchObject({ ok: true, count: 6 });
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings)).toEqual([
      expect.stringMatching(/^checkpoint 2 \(record 6\): record 6 no longer has the hash it was sealed with \(entries up to 6\): records up to 6 were altered, inserted or removed, and the chain re-hashed after them/),
    ]);
  });

  it('a record altered before an earlier checkpoint: both checkpoints name it', async () => {
    const s = await sealedLog();
    await rehash(s, 2, (records) => {
      const r = records.get(2)!;
      if (r.v !== 5) throw new Error('v5');
      r.groups[0]!.subject = 'nobody';
    });
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings)).toEqual([expect.stringMatching(/^checkpoint 1 \(record 3\): record 3 no longer has the hash/), expect.stringMatching(/^checkpoint 2 \(record 6\): record 6 no longer has the hash/)]);
  });

  it('a record inserted, and the records after it re-numbered and re-hashed', async () => {
    const s = await sealedLog();
    await rehash(s, 5, (records) => {
      // A made-up READ of B's data placed before record 5: the old 5 and 6 become 6 and 7.
      const forged = parseStoredRecord(linkRecord('0'.repeat(64), 5, 5, groupsOfEntries([entry({ avs: B, subject: 'forger' })])).stored)!;
      const [r5, r6] = [records.get(5)!, records.get(6)!];
      records.clear();
      records.set(5, forged).set(6, r5).set(7, r6);
    });
    expect(await s.log.verify()).toMatchObject({ ok: true, count: 7 });
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings)).toContainEqual(expect.stringMatching(/^checkpoint 2 \(record 6\): record 6 no longer has the hash it was sealed with/));
  });

  it("a person's index emptied: their access log would show nothing", async () => {
    const s = await sealedLog();
    await redis.del(`${s.prefix}audit:avs:${B}`);
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings)).toEqual([`index of ${B}: it is gone, while records 2, 4, 6 hold their entries: the person's access log would show nothing (index emptied)`]);
    // ...which is what the DPO's reading shows.
    expect(await s.log.query({ avs: B, first: 10 })).toEqual([]);
  });

  it("a person's index thinned (the denial taken out) or given a record that is not theirs", async () => {
    const s = await sealedLog();
    await redis.zrem(`${s.prefix}audit:avs:${B}`, '4');
    await redis.zadd(`${s.prefix}audit:avs:${A}`, 2, '2');
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings).sort()).toEqual(
      [`index of ${A}: it names records 2, which hold none of their entries`, `index of ${B}: it lacks records 4 holding their entries: the person's access log would not show them (entries removed from the index)`].sort(),
    );
  });

  it('a checkpoint replaced by one signed with another key (the writer key is not in Redis to be used)', async () => {
    const s = await sealedLog();
    const latest = JSON.parse((await redis.get(s.key('checkpoint')))!) as { n: number; seq: number; lastId: number; hash: string; prev: string; at: string };
    const prev = JSON.parse((await redis.hget(s.key('checkpoints'), '1'))!) as { prev: string; at: string };
    // The attacker's own key over a head they made up for checkpoint 1.
    const forged = signCheckpoint(ephemeralSigner(), { seq: 3, lastId: 3, hash: 'e'.repeat(64) }, 1, prev.prev, prev.at);
    await redis.hset(s.key('checkpoints'), '1', forged.text);
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings)).toContainEqual(expect.stringMatching(/^checkpoint 1: it was replaced or forged: signed by key [0-9a-f]{16}, which is not one of the log's keys/));
    expect(latest.n).toBe(2);
  });

  it('a checkpoint replaced by another genuine one (moved), or removed from the middle', async () => {
    const moved = await sealedLog();
    await moved.log.append([entry()]);
    await new Checkpointer(moved.log, signer, keys, { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true }).seal();
    await redis.hset(moved.key('checkpoints'), '2', (await redis.hget(moved.key('checkpoints'), '1'))!);
    expect(problems((await verifyAccessLog({ store: moved.log, keys })).findings)).toEqual(['checkpoint 2: it holds checkpoint 1 (checkpoints were moved)']);

    const removed = await sealedLog();
    await redis.hdel(removed.key('checkpoints'), '1');
    expect(problems((await verifyAccessLog({ store: removed.log, keys })).findings)).toEqual(['checkpoint 1: it is missing (removed)']);
  });

  it('the latest checkpoint removed, or set back to an earlier one', async () => {
    const gone = await sealedLog();
    await redis.del(gone.key('checkpoint'));
    expect(problems((await verifyAccessLog({ store: gone.log, keys })).findings)).toEqual(['latest checkpoint: it is gone while checkpoints up to 2 are stored (writers can no longer seal)']);

    const back = await sealedLog();
    await redis.set(back.key('checkpoint'), (await redis.hget(back.key('checkpoints'), '1'))!);
    expect(problems((await verifyAccessLog({ store: back.log, keys })).findings)).toEqual(['latest checkpoint: it is checkpoint 1, not the highest stored (2): it was set back']);
  });

  it('the last checkpoint and the records it sealed removed together, then new records chained on (with the archive: test/audit-archive.test.ts)', async () => {
    // Without the archive, the live log can only show what it still holds: records after
    // checkpoint 1 that no checkpoint seals. The archive (or a checkpoint kept elsewhere) names it.
    const s = await sealedLog();
    const r3 = parseStoredRecord((await redis.hget(s.key('records'), '3'))!)!;
    await redis.hdel(s.key('records'), '4', '5', '6');
    await redis.hdel(s.key('checkpoints'), '2');
    await redis.set(s.key('checkpoint'), (await redis.hget(s.key('checkpoints'), '1'))!);
    await redis.set(s.key('head'), `3:3:${r3.hash}`);
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(v.ok).toBe(true);
    expect(v.live).toMatchObject({ headSeq: 3, latest: { n: 1 } });
  });

  it('records added beyond the head, or the head reset to nothing while checkpoints remain', async () => {
    const s = await sealedLog();
    await redis.del(s.key('head'));
    const v = await verifyAccessLog({ store: s.log, keys });
    expect(problems(v.findings)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^record 1: the log holds 6 records but its head is record 0/), expect.stringMatching(/^head: the head is record 0 .*checkpoint 2 \(record 6\).*records 1–6 were removed/)]),
    );
    // And nobody appends onto such a log: it would start a new chain over the evidence.
    await expect(s.log.append([entry()])).rejects.toThrow(/the head is gone but the log holds checkpoints/);
  });
});

describe('npm run audit:verify', () => {
  const auditVerify = (env: Record<string, string>) => {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith('AUDIT_') || k.startsWith('REDIS_')) delete base[k];
    return runCommand('npx', ['tsx', 'bin/audit-verify.ts'], { ...base, ...env });
  };

  it('prints what it checked for an intact log, exit 0', async () => {
    const s = await sealedLog();
    const run = await auditVerify({ REDIS_URL: server.url, REDIS_PREFIX: s.prefix, AUDIT_PUBLIC_KEY_FILES: publicFile });
    const head = (await redis.get(s.key('head')))!.split(':')[2];
    expect(run.stdout).toMatch(new RegExp(`^access log intact: 6 entries in 6 records, head ${head}\\n  sealed: 2 checkpoints, signatures valid \\(key ${signer.keyId}\\); the latest, checkpoint 2 \\(record 6\\) at [^;]+; nothing after it\\n  person indexes: 2, each matches the records\\n`));
    expect(run.code).toBe(0);
  });

  it('names every problem, one line each, exit 1', async () => {
    const s = await sealedLog();
    await redis.del(`${s.prefix}audit:avs:${A}`);
    await redis.hdel(s.key('checkpoints'), '1');
    const run = await auditVerify({ REDIS_URL: server.url, REDIS_PREFIX: s.prefix, AUDIT_PUBLIC_KEY_FILES: publicFile });
    expect(run.stdout.trim().split('\n').sort()).toEqual(
      [`access log BROKEN at checkpoint 1: it is missing (removed)`, `access log BROKEN at index of ${A}: it is gone, while records 1, 3, 5 hold their entries: the person's access log would show nothing (index emptied)`].sort(),
    );
    expect(run.code).toBe(1);
  });

  it('reads the keys from the configuration file as the services do (the signing key gives its public half)', async () => {
    const s = await sealedLog();
    const file = join(dir, `ciigraph-${randomUUID()}.yaml`);
    writeFileSync(file, `redis:\n  prefix: "${s.prefix}"\naudit:\n  redis:\n    url: "${server.url}"\n  signingKeyFile: ${privateFile}\n`);
    const run = await auditVerify({ CIIGRAPH_CONFIG: file });
    expect(run.stdout).toMatch(/^access log intact: 6 entries in 6 records/);
    expect(run.code).toBe(0);
  });

  it('in production, without a key to check signatures with, says it cannot check, exit 2', async () => {
    const s = await sealedLog();
    const run = await auditVerify({ NODE_ENV: 'production', REDIS_URL: server.url, REDIS_PREFIX: s.prefix });
    expect(run.stderr).toContain('no keys to check the signatures with');
    expect(run.code).toBe(2);
  });
});
