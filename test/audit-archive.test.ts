// The sealed archive (lib/audit/archive.ts, npm run audit:archive) and retention
// (lib/audit/retention.ts): the archive holds the records byte for byte in segments, every
// checkpoint and a signed manifest; a second run with nothing new changes nothing; a run adds
// only what is new; a run interrupted (killed, or leaving a half-written segment) is completed
// by the next one into the same archive an uninterrupted run writes. `audit:verify --archive
// DIR` checks it without Redis (a segment, the checkpoints or the manifest altered is named),
// with REDIS_URL also that the live log extends it: a truncation after the seal (the last
// checkpoint removed with it), a flushed Redis, or a new chain started in its place is named,
// and the archive still verifies alone after the flush. Retention removes from Redis only
// records older than the period that a verified archive holds, and the live log still
// verifies from its signed mark; nothing is removed while the archive or the log does not verify.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../lib/audit/checkpoint.ts';
import type { NewAccessLogEntry } from '../lib/audit/log.ts';
import { linkRecord, parseStoredRecord } from '../lib/audit/record-format.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { newKeyPairPem, readSigningKey, TrustedKeys } from '../lib/audit/signing-keys.ts';
import { verifyAccessLog } from '../lib/audit/verify.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { ROOT, runCommand, type Run } from './support/run-command.ts';

const A = '756.1234.5678.97';
const B = '756.9876.5432.17';
let server: RedisServerHandle;
let redis: Redis;
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-archive-'));
const pair = newKeyPairPem();
const privateFile = join(dir, 'audit-signing-key.pem');
const publicFile = join(dir, 'audit-public-key.pem');
writeFileSync(privateFile, pair.privateKey, { mode: 0o600 });
writeFileSync(publicFile, pair.publicKey);
const signer = readSigningKey(privateFile);
const keys = new TrustedKeys([signer.publicKey]);

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'archive-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

function entry(at: number, over: Partial<NewAccessLogEntry> = {}): NewAccessLogEntry {
  return {
    at: new Date(at).toISOString(),
    institution: 'AC',
    role: 'counsellor',
    subject: 'c-1',
    avs: A,
    category: 'ac.registration',
    decision: 'ALLOWED',
    legalBasis: 'own mandate',
    consentId: null,
    purpose: 'placement',
    caseReference: 'ORP-GE-2026-0412',
    subgraph: 'unemployment',
    requestId: randomUUID(),
    ...over,
  };
}

const DAY = 86_400_000;
const longAgo = Date.now() - 400 * DAY;

interface Live {
  prefix: string;
  log: RedisAuditLog;
  sealer: Checkpointer;
  key: (name: string) => string;
  append(n: number, at?: (i: number) => number): Promise<void>;
}

/** A live log in this test's Redis, sealed every 4 records by a writer holding the key. */
async function liveLog(records: number, at: (i: number) => number = () => Date.now()): Promise<Live> {
  const prefix = `test-${randomUUID()}:`;
  const log = new RedisAuditLog(redis, { prefix });
  const sealer = new Checkpointer(log, signer, keys, { everyRecords: 4, everyMs: 3_600_000 }, { verifyBeforeSigning: true });
  let i = 0;
  const live: Live = {
    prefix,
    log,
    sealer,
    key: (name) => `${prefix}audit:${name}`,
    append: async (n, when = at) => {
      for (let k = 0; k < n; k++, i++) {
        await log.append([entry(when(i), { avs: i % 3 === 0 ? B : A })]);
        if ((i + 1) % 4 === 0) await sealer.seal();
      }
    },
  };
  await live.append(records);
  return live;
}

const clean = (): NodeJS.ProcessEnv => {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('AUDIT_') || k.startsWith('REDIS_') || k === 'CIIGRAPH_CONFIG') delete base[k];
  return base;
};
const envFor = (live: Live | undefined, extra: Record<string, string> = {}) => ({
  ...clean(),
  AUDIT_SIGNING_KEY_FILE: privateFile,
  ...(live ? { REDIS_URL: server.url, REDIS_PREFIX: live.prefix } : {}),
  ...extra,
});
const archive = (live: Live, out: string, args: string[] = [], extra: Record<string, string> = {}): Promise<Run> =>
  runCommand('npx', ['tsx', 'bin/audit-archive.ts', '--out', out, ...args], envFor(live, extra));
const verify = (live: Live | undefined, archiveDir?: string, extra: Record<string, string> = {}): Promise<Run> =>
  runCommand('npx', ['tsx', 'bin/audit-verify.ts', ...(archiveDir ? ['--archive', archiveDir] : [])], { ...clean(), AUDIT_PUBLIC_KEY_FILES: publicFile, ...(live ? { REDIS_URL: server.url, REDIS_PREFIX: live.prefix } : {}), ...extra });

/** Every file of an archive with its bytes. */
function filesOf(out: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of readdirSync(out)) if (f !== 'segments') files.set(f, readFileSync(join(out, f), 'utf8'));
  for (const f of readdirSync(join(out, 'segments'))) files.set(`segments/${f}`, readFileSync(join(out, 'segments', f), 'utf8'));
  return files;
}
const scratch = () => mkdtempSync(join(dir, 'archive-'));

describe('npm run audit:archive', () => {
  it('seals the log so far: a checkpoint of the head, the records byte for byte in segments, every checkpoint, a signed manifest', async () => {
    const live = await liveLog(10);
    const out = scratch();
    const run = await archive(live, out, ['--segment-records', '4']);
    expect(run.stdout).toMatch(new RegExp(`^access log archived: ${out} holds records 1–10 \\(entries 1–10\\), sealed through record 10 \\(checkpoint 3\\); this run wrote 3 segments and 3 checkpoints\\n  verified: the archive, and the live log extending it\\n$`));
    expect(run.code).toBe(0);
    expect(readdirSync(join(out, 'segments'))).toEqual(['records-000000000001-000000000004.jsonl', 'records-000000000005-000000000008.jsonl', 'records-000000000009-000000000010.jsonl']);
    const lines = readFileSync(join(out, 'segments', 'records-000000000005-000000000008.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toEqual(await redis.hmget(live.key('records'), '5', '6', '7', '8'));
    // Checkpoints 1 and 2 by the writer (records 4 and 8), 3 by the archive run (the head, 10).
    expect(readFileSync(join(out, 'checkpoints.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([4, 8, 10]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { keyId: string; sealed: unknown };
    expect(manifest).toMatchObject({ keyId: signer.keyId, sealed: { checkpoint: 3, seq: 10, lastId: 10 } });
    expect((await verifyAccessLog({ store: live.log, keys })).live).toMatchObject({ unsealed: 0, latest: { n: 3, seq: 10 } });
  });

  it('changes nothing when run again with nothing new, and adds only what is new', async () => {
    const live = await liveLog(6);
    const out = scratch();
    expect((await archive(live, out, ['--segment-records', '4'])).code).toBe(0);
    const first = filesOf(out);
    const again = await archive(live, out, ['--segment-records', '4']);
    expect(again.stdout).toMatch(new RegExp(`^access log archive unchanged: ${out} already holds records 1–6 \\(entries 1–6\\), sealed through record 6 \\(checkpoint 2\\)\\n`));
    expect(again.code).toBe(0);
    expect(filesOf(out)).toEqual(first);

    await live.append(3);
    const more = await archive(live, out, ['--segment-records', '4']);
    expect(more.stdout).toMatch(/holds records 1–9 \(entries 1–9\), sealed through record 9 \(checkpoint 4\); this run wrote 1 segments and 2 checkpoints/);
    const after = filesOf(out);
    // What was sealed before is not rewritten: the same segments, the new one beside them.
    for (const [name, bytes] of first) if (name.startsWith('segments/')) expect(after.get(name), name).toBe(bytes);
    expect([...after.keys()].filter((n) => n.startsWith('segments/')).sort()).toEqual(['segments/records-000000000001-000000000004.jsonl', 'segments/records-000000000005-000000000006.jsonl', 'segments/records-000000000007-000000000009.jsonl']);
  });

  it('completes an interrupted run: a segment written but not yet in the manifest is written again, and the archive is the one an uninterrupted run writes', async () => {
    const live = await liveLog(8);
    const out = scratch();
    expect((await archive(live, out, ['--segment-records', '3'])).code).toBe(0);
    await live.append(7);
    // What a run killed between writing a segment and its manifest leaves: the segment (here
    // half-written), and a temporary file.
    writeFileSync(join(out, 'segments', 'records-000000000009-000000000011.jsonl'), `${(await redis.hget(live.key('records'), '9'))!}\n{"trunc`);
    writeFileSync(join(out, 'manifest.json.tmp'), '{"half":');
    const resumed = await archive(live, out, ['--segment-records', '3']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/holds records 1–15/);

    const segments = (d: string) => new Map([...filesOf(d)].filter(([n]) => n.startsWith('segments/') || n === 'checkpoints.jsonl'));
    expect([...segments(out).keys()].sort()).toEqual(['checkpoints.jsonl', 'segments/records-000000000001-000000000003.jsonl', 'segments/records-000000000004-000000000006.jsonl', 'segments/records-000000000007-000000000008.jsonl', 'segments/records-000000000009-000000000011.jsonl', 'segments/records-000000000012-000000000014.jsonl', 'segments/records-000000000015-000000000015.jsonl']);
    expect((await verify(undefined, out)).code).toBe(0);
    // Every record is in it once, as stored.
    const archived = [...segments(out)].filter(([n]) => n.startsWith('segments/')).sort().flatMap(([, t]) => t.trimEnd().split('\n'));
    expect(archived).toEqual(await redis.hmget(live.key('records'), ...Array.from({ length: 15 }, (_, i) => String(i + 1))));
    expect(existsSync(join(out, 'manifest.json.tmp'))).toBe(false);
  });

  it('goes on from where a killed run stopped (a real process, SIGKILLed while it writes segments)', async () => {
    const live = await liveLog(400);
    const out = scratch();
    const child = spawn('npx', ['tsx', 'bin/audit-archive.ts', '--out', out, '--segment-records', '1'], { cwd: ROOT, env: envFor(live), stdio: 'ignore', detached: true });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // Killed once the first segments are in the manifest: every segment is a file and a manifest, each fsynced.
    const killed = await new Promise<boolean>((resolve) => {
      const poll = setInterval(() => {
        try {
          const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { segments: unknown[] };
          if (m.segments.length < 3) return;
          clearInterval(poll);
          process.kill(-child.pid!, 'SIGKILL');
          resolve(true);
        } catch {
          // not there yet, or being renamed into place
        }
      }, 5);
      void exited.then(() => {
        clearInterval(poll);
        resolve(false);
      });
    });
    await exited;
    expect(killed, 'audit:archive ended before it could be killed').toBe(true);
    const killedAt = (JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { segments: unknown[] }).segments.length;
    expect(killedAt).toBeLessThan(400);
    // What the killed run left verifies as an archive of what it holds so far.
    expect((await verify(undefined, out)).code).toBe(0);
    const resumed = await archive(live, out, ['--segment-records', '1']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/holds records 1–400 \(entries 1–400\), sealed through record 400/);
    expect(readdirSync(join(out, 'segments'))).toHaveLength(400);
  }, 120_000);

  it('refuses to start a new archive where the live log has already removed records archived elsewhere', async () => {
    const live = await liveLog(6, () => longAgo);
    expect((await archive(live, scratch(), [], { AUDIT_RETENTION_DAYS: '30' })).code).toBe(0);
    const run = await archive(live, scratch());
    expect(run.stdout).toMatch(/NOT archived: records up to 6 were already archived elsewhere and removed from the live log/);
    expect(run.code).toBe(1);
  });
});

describe('npm run audit:verify -- --archive DIR', () => {
  it('checks an archive alone, without Redis', async () => {
    const live = await liveLog(9);
    const out = scratch();
    expect((await archive(live, out, ['--segment-records', '4'])).code).toBe(0);
    const run = await verify(undefined, out);
    expect(run.stdout).toBe(`access log archive ${out}: 9 entries in 9 records (3 segments), 3 checkpoints, sealed through record 9 (checkpoint 3): intact\n`);
    expect(run.code).toBe(0);
  });

  it('names a segment altered, checkpoints altered, and a manifest rewritten without the key', async () => {
    const live = await liveLog(9);
    const out = scratch();
    await archive(live, out, ['--segment-records', '4']);
    const segment = join(out, 'segments', 'records-000000000005-000000000008.jsonl');
    writeFileSync(segment, readFileSync(segment, 'utf8').replace('"decision":"ALLOWED"', '"decision":"DENIED"'));
    appendFileSync(join(out, 'checkpoints.jsonl'), '');
    let run = await verify(undefined, out);
    expect(run.stdout).toBe(`access log BROKEN at archive segments/records-000000000005-000000000008.jsonl: its content is not what the signed manifest names (records 5–8 were altered, added to or removed)\n`);
    expect(run.code).toBe(1);

    writeFileSync(join(out, 'checkpoints.jsonl'), readFileSync(join(out, 'checkpoints.jsonl'), 'utf8').split('\n').slice(1).join('\n'));
    run = await verify(undefined, out);
    expect(run.stdout).toContain('access log BROKEN at archive checkpoints.jsonl: its content is not what the signed manifest names');

    // The manifest made to match the altered files, but without the key to sign it.
    const manifestFile = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { segments: Array<{ file: string; sha256: string; bytes: number }> };
    manifest.segments = manifest.segments.slice(0, 1);
    writeFileSync(manifestFile, JSON.stringify(manifest));
    run = await verify(undefined, out);
    expect(run.stdout).toMatch(/^access log BROKEN at archive .*: .*manifest\.json: the manifest was altered or forged: its signature does not verify/);
    expect(run.code).toBe(1);
  });

  it('with REDIS_URL: the live log extends the archive', async () => {
    const live = await liveLog(9);
    const out = scratch();
    await archive(live, out);
    await live.append(2);
    const run = await verify(live, out);
    expect(run.stdout).toMatch(/^access log intact: 11 entries in 11 records/);
    expect(run.stdout).toContain(`  archive ${out}: 9 entries in 9 records (1 segments), 3 checkpoints, sealed through record 9 (checkpoint 3); the live log extends it\n`);
    expect(run.code).toBe(0);
  });

  it('with REDIS_URL: names records truncated after the seal, even with the last checkpoint removed too', async () => {
    const live = await liveLog(8);
    const out = scratch();
    await archive(live, out);
    // Records 7–8 and the checkpoint sealing them (checkpoint 2, record 8) removed, the head and the latest checkpoint set back.
    const r6 = parseStoredRecord((await redis.hget(live.key('records'), '6'))!)!;
    await redis.hdel(live.key('records'), '7', '8');
    await redis.hdel(live.key('checkpoints'), '2');
    await redis.set(live.key('checkpoint'), (await redis.hget(live.key('checkpoints'), '1'))!);
    await redis.set(live.key('head'), `6:6:${r6.hash}`);
    // Alone, the live log shows nothing wrong: what is gone left no trace in Redis.
    expect((await verify(live)).code).toBe(0);
    const run = await verify(live, out);
    expect(run.stdout).toContain('access log BROKEN at checkpoint 2 (record 8): it is in the archive but not in the live log (removed from Redis)');
    expect(run.stdout).toContain('access log BROKEN at head: the live log ends at record 6, but the archive holds records up to 8 (entries up to 8): records 7–8 were removed from the live log (truncated)');
    expect(run.code).toBe(1);
  });

  it('with REDIS_URL: names a flushed Redis, and a new chain started in its place; the archive still verifies alone', async () => {
    const own = await startRedisServer();
    const client = createRedis(own.url, { name: 'archive-flush' });
    try {
      await waitForRedis(client, 10_000);
      const prefix = `test-${randomUUID()}:`;
      const log = new RedisAuditLog(client, { prefix });
      const sealer = new Checkpointer(log, signer, keys, { everyRecords: 3, everyMs: 3_600_000 }, { verifyBeforeSigning: true }).start();
      for (let i = 0; i < 7; i++) await log.append([entry(Date.now())]);
      const out = scratch();
      const env = { ...clean(), AUDIT_SIGNING_KEY_FILE: privateFile, REDIS_URL: own.url, REDIS_PREFIX: prefix };
      expect((await runCommand('npx', ['tsx', 'bin/audit-archive.ts', '--out', out], env)).code).toBe(0);

      await client.flushall();
      const verifyEnv = { ...clean(), AUDIT_PUBLIC_KEY_FILES: publicFile, REDIS_URL: own.url, REDIS_PREFIX: prefix };
      let run = await runCommand('npx', ['tsx', 'bin/audit-verify.ts', '--archive', out], verifyEnv);
      expect(run.stdout).toBe('access log BROKEN at live log: it holds nothing, but the archive holds records 1–7 (entries 1–7): Redis was flushed or lost its data after the archive was sealed\n');
      expect(run.code).toBe(1);

      // The archive alone is intact: the evidence survived the flush.
      run = await runCommand('npx', ['tsx', 'bin/audit-verify.ts', '--archive', out], { ...clean(), AUDIT_PUBLIC_KEY_FILES: publicFile });
      expect(run.stdout).toMatch(/^access log archive .*: 7 entries in 7 records .*: intact\n$/);
      expect(run.code).toBe(0);

      // The writers go on after the flush: a new chain from record 1, which is not the archived one.
      for (let i = 0; i < 4; i++) await log.append([entry(Date.now(), { subject: 'after-the-flush' })]);
      await sealer.seal();
      run = await runCommand('npx', ['tsx', 'bin/audit-verify.ts', '--archive', out], verifyEnv);
      expect(run.stdout).toContain('it differs from the archived record 1, and the live log shares no checkpoint with the archive: Redis was flushed (or its log replaced) after the archive was sealed, and a new chain started');
      expect(run.stdout).toContain('the live log ends at record 4, but the archive holds records up to 7');
      expect(run.code).toBe(1);
      await sealer.close();
    } finally {
      await closeRedis(client);
      await own.stop();
    }
  });

  it('with REDIS_URL: names a live record that differs from the archived one', async () => {
    const live = await liveLog(5);
    const out = scratch();
    await archive(live, out);
    // Record 5 altered and the head re-hashed onto it: sealed, so the checkpoint and the archive both name it.
    const r5 = parseStoredRecord((await redis.hget(live.key('records'), '5'))!)!;
    if (r5.v !== 5) throw new Error('v5');
    r5.groups[0]!.subject = 'someone-else';
    const relinked = linkRecord(r5.prevHash, 5, 5, r5.groups);
    await redis.hset(live.key('records'), '5', relinked.stored);
    await redis.set(live.key('head'), `5:5:${relinked.record.hash}`);
    const run = await verify(live, out);
    expect(run.stdout).toContain('access log BROKEN at record 5 (entries from 5): it differs from the archived record 5 (altered in the live log)');
    expect(run.stdout).toContain('access log BROKEN at checkpoint 2 (record 5): record 5 no longer has the hash it was sealed with');
  });
});

describe('retention', () => {
  it('removes from Redis only records older than the period that the verified archive holds; the live log verifies from its signed mark', async () => {
    // Records 1–8 from 400 days ago, 9–12 today.
    const live = await liveLog(12, (i) => (i < 8 ? longAgo + i * 1000 : Date.now()));
    const before = await live.log.query({ avs: A, first: 100 });
    const out = scratch();
    const run = await archive(live, out, [], { AUDIT_RETENTION_DAYS: '365' });
    expect(run.stdout).toContain('  retention (365 days): removed 8 records from Redis; records 1–8 are now in the archive only\n');
    expect(run.code).toBe(0);
    expect(await redis.hlen(live.key('records'))).toBe(4);
    // The DPO's view in Redis now starts after them; the archive holds the rest.
    expect((await live.log.query({ avs: A, first: 100 })).map((e) => e.id)).toEqual(before.filter((e) => Number(e.id) > 8).map((e) => e.id));
    const v = await verifyAccessLog({ store: live.log, keys });
    expect(v.findings).toEqual([]);
    expect(v.live).toMatchObject({ firstSeq: 9, headSeq: 12, mark: { seq: 8, lastId: 8 } });
    const alone = await verify(live);
    expect(alone.stdout).toMatch(/^access log intact: entries up to 12, records 9–12 \(4\) in Redis, 1–8 archived and removed/);
    expect((await verify(live, out)).code).toBe(0);

    // Writers go on appending and sealing; the next archive run goes on too.
    await live.append(5);
    await live.sealer.seal();
    const next = await archive(live, out, [], { AUDIT_RETENTION_DAYS: '365' });
    expect(next.stdout).toMatch(/holds records 1–17 .*\n  verified: .*\n  retention \(365 days\): nothing to remove \(records 1–8 are in the archive only\)\n$/);
    expect((await verify(live, out)).code).toBe(0);
  });

  it('removes nothing without a period, or while the archive does not verify', async () => {
    const live = await liveLog(6, () => longAgo);
    const out = scratch();
    const without = await archive(live, out);
    expect(without.stdout).not.toContain('retention');
    expect(await redis.hlen(live.key('records'))).toBe(6);

    const segment = join(out, 'segments', readdirSync(join(out, 'segments'))[0]!);
    writeFileSync(segment, readFileSync(segment, 'utf8').replace('"subject":"c-1"', '"subject":"c-2"'));
    await live.append(1, () => longAgo);
    const refused = await archive(live, out, [], { AUDIT_RETENTION_DAYS: '30' });
    expect(refused.stdout).toMatch(/NOT archived: .*does not match the manifest/);
    expect(refused.code).toBe(1);
    expect(await redis.hlen(live.key('records'))).toBe(7);
  });

  it('a retention mark forged, removed or moved back is named', async () => {
    const live = await liveLog(8, () => longAgo);
    const out = scratch();
    expect((await archive(live, out, [], { AUDIT_RETENTION_DAYS: '30' })).code).toBe(0);
    const mark = (await redis.get(live.key('mark')))!;
    // Moved forward over records still in Redis would need a signature; edited, it fails it.
    await redis.set(live.key('mark'), mark.replace(/"seq":8/, '"seq":7'));
    expect((await verifyAccessLog({ store: live.log, keys })).findings).toContainEqual({ where: 'retention mark', problem: expect.stringMatching(/it does not hold: its signature does not verify/) });
    await redis.del(live.key('mark'));
    const gone = await verifyAccessLog({ store: live.log, keys });
    expect(gone.findings).toContainEqual({ where: 'record 1 (entries from 1)', problem: 'record 1 is missing' });
    await redis.set(live.key('mark'), mark);
    expect((await verifyAccessLog({ store: live.log, keys })).findings).toEqual([]);
  });
});
