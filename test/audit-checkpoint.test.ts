// Signed checkpoints (lib/audit/checkpoint.ts): a writer signs the log's head with Ed25519
// every N records and every T seconds while records are unsealed, in both stores; each
// checkpoint names its key and the checkpoint before it; several writers sealing one log in
// Redis keep one sequence; a writer refuses to seal a head that does not extend the last
// checkpoint (records altered and re-hashed, or checkpoints removed); keys roll over (an old
// key's checkpoints still verify with its public half configured). The settings: production
// refuses to start without the key file; development signs with an ephemeral key and says so.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GENESIS_HASH } from '../lib/audit/chain.ts';
import { Checkpointer, checkpointDigest, readCheckpoint, signCheckpoint, type Checkpoint } from '../lib/audit/checkpoint.ts';
import type { AuditLog, LogStore, NewAccessLogEntry } from '../lib/audit/log.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { ephemeralSigner, keyIdOf, newKeyPairPem, readPublicKey, readSigningKey, TrustedKeys } from '../lib/audit/signing-keys.ts';
import { verifyAccessLog } from '../lib/audit/verify.ts';
import { loadConfig } from '../lib/config.ts';
import { openStores } from '../lib/stores.ts';
import { logTo } from '../lib/log.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack } from './support/stack.ts';

const A = '756.1234.5678.97';
let server: RedisServerHandle;
let redis: Redis;
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-checkpoint-'));

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'checkpoint-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

afterEach(() => vi.useRealTimers());

function entry(over: Partial<NewAccessLogEntry> = {}): NewAccessLogEntry {
  return {
    at: new Date().toISOString(),
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

/** A key pair written as PEM files, as an operator would hold them. */
function keyFiles(name: string): { privateFile: string; publicFile: string } {
  const pair = newKeyPairPem();
  const privateFile = join(dir, `${name}.pem`);
  const publicFile = join(dir, `${name}.pub.pem`);
  writeFileSync(privateFile, pair.privateKey, { mode: 0o600 });
  writeFileSync(publicFile, pair.publicKey);
  return { privateFile, publicFile };
}

const stores: { name: string; create: () => AuditLog & LogStore; verifyBeforeSigning: boolean }[] = [
  { name: 'memory', create: () => new MemoryAuditLog(), verifyBeforeSigning: false },
  { name: 'redis', create: () => new RedisAuditLog(redis, { prefix: `test-${randomUUID()}:` }), verifyBeforeSigning: true },
];

/** Every checkpoint a store holds, read and checked, in order. */
async function checkpointsOf(store: LogStore, keys: TrustedKeys): Promise<Checkpoint[]> {
  const { checkpoints = [] } = await store.snapshot({ checkpoints: true });
  return checkpoints
    .map((c) => {
      const r = readCheckpoint(c.text, keys);
      if (!r.ok) throw new Error(`checkpoint ${c.n}: ${r.reason}`);
      return r.checkpoint;
    })
    .sort((a, b) => a.n - b.n);
}

describe.each(stores)('checkpoints: $name', ({ create, verifyBeforeSigning }) => {
  it('signs the head every N records, each naming its key and the checkpoint before it', async () => {
    const store = create();
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const sealer = new Checkpointer(store, signer, keys, { everyRecords: 3, everyMs: 3_600_000 }, { verifyBeforeSigning }).start();
    for (let i = 0; i < 7; i++) {
      await store.append([entry()]);
      // Sealing runs beside the append; wait for the one the append may have started.
      await sealer.seal();
    }
    const checkpoints = await checkpointsOf(store, keys);
    // Records 3 and 6 reached N; each seal() above also sealed what it found, so at least these two.
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints.map((c) => c.n)).toEqual(checkpoints.map((_, i) => i + 1));
    expect(checkpoints.every((c) => c.keyId === signer.keyId)).toBe(true);
    expect(checkpoints[0]!.prev).toBe(GENESIS_HASH);
    const { checkpoints: stored = [] } = await store.snapshot({ checkpoints: true });
    const texts = new Map(stored.map((c) => [Number(c.n), c.text]));
    for (const c of checkpoints.slice(1)) expect(c.prev).toBe(checkpointDigest(texts.get(c.n - 1)!));
    // The latest seals the head.
    const verdict = await store.verify();
    expect(verdict.ok && checkpoints.at(-1)!.hash).toBe(verdict.ok && verdict.head);
    expect(checkpoints.at(-1)).toMatchObject({ seq: 7, lastId: 7 });
    await sealer.close();
  });

  it('seals after N records without being asked', async () => {
    const store = create();
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const sealer = new Checkpointer(store, signer, keys, { everyRecords: 4, everyMs: 3_600_000 }, { verifyBeforeSigning }).start();
    for (let i = 0; i < 4; i++) await store.append([entry()]);
    // The fourth append started a seal: asking now joins it, or finds the head sealed.
    const outcome = await sealer.seal();
    expect('sealed' in outcome || 'unchanged' in outcome).toBe(true);
    expect((await checkpointsOf(store, keys)).map((c) => c.seq)).toEqual([4]);
    await sealer.close();
  });

  it('signs nothing when nothing was appended since the last checkpoint', async () => {
    const store = create();
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const sealer = new Checkpointer(store, signer, keys, { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning });
    expect(await sealer.seal()).toEqual({ unchanged: null });
    await store.append([entry()]);
    expect(await sealer.seal()).toMatchObject({ sealed: { n: 1, seq: 1 } });
    expect(await sealer.seal()).toMatchObject({ unchanged: { n: 1 } });
    expect(await checkpointsOf(store, keys)).toHaveLength(1);
  });
});

describe('checkpoints on a timer', () => {
  it('signs the head every T seconds while records are unsealed, and not while nothing changes', async () => {
    vi.useFakeTimers();
    const store = new MemoryAuditLog();
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const sealer = new Checkpointer(store, signer, keys, { everyRecords: 1000, everyMs: 60_000 }, { verifyBeforeSigning: false }).start();
    await store.append([entry()]);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(await checkpointsOf(store, keys)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await checkpointsOf(store, keys)).map((c) => c.seq)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(180_000);
    expect(await checkpointsOf(store, keys)).toHaveLength(1);
    await store.append([entry()]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await checkpointsOf(store, keys)).map((c) => c.seq)).toEqual([1, 2]);
    vi.useRealTimers();
    await sealer.close();
  });
});

describe('checkpoints in Redis', () => {
  it('stay one sequence while several writers append and seal the same log', async () => {
    const prefix = `test-${randomUUID()}:`;
    const clients = [createRedis(server.url, { name: 'writer-1' }), createRedis(server.url, { name: 'writer-2' })];
    try {
      await Promise.all(clients.map((c) => waitForRedis(c, 10_000)));
      const signer = ephemeralSigner();
      const keys = new TrustedKeys([signer.publicKey]);
      const logs = clients.map((c) => new RedisAuditLog(c, { prefix }));
      const sealers = logs.map((l) => new Checkpointer(l, signer, keys, { everyRecords: 5, everyMs: 3_600_000 }, { verifyBeforeSigning: true }).start());
      await Promise.all(logs.map(async (log, w) => {
        for (let i = 0; i < 60; i++) {
          await log.append([entry({ subject: `writer-${w}` })]);
          if (i % 7 === 0) await sealers[w]!.seal();
        }
      }));
      await Promise.all(sealers.map((s) => s.close()));
      const checkpoints = await checkpointsOf(logs[0]!, keys);
      expect(checkpoints.map((c) => c.n)).toEqual(checkpoints.map((_, i) => i + 1));
      expect(checkpoints.at(-1)!.seq).toBe(120);
      const verification = await verifyAccessLog({ store: logs[0]!, keys });
      expect(verification.findings).toEqual([]);
      expect(verification.live).toMatchObject({ headSeq: 120, unsealed: 0, checkpoints: checkpoints.length });
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  });

  it('refuses to seal a head that does not extend the last checkpoint: a record altered and the chain re-hashed after it', async () => {
    const prefix = `test-${randomUUID()}:`;
    const log = new RedisAuditLog(redis, { prefix });
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const sealer = new Checkpointer(log, signer, keys, { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true });
    for (let i = 0; i < 3; i++) await log.append([entry()]);
    expect(await sealer.seal()).toMatchObject({ sealed: { n: 1, seq: 3 } });
    await log.append([entry({ decision: 'DENIED', legalBasis: null })]);
    await log.append([entry()]);
    // Someone with write access to Redis turns record 4's denial into a release and re-hashes
    // record 4 and 5 onto the checkpoint, as the chain alone would accept.
    const { linkRecord, parseStoredRecord } = await import('../lib/audit/record-format.ts');
    const r4 = parseStoredRecord((await redis.hget(`${prefix}audit:records`, '4'))!)!;
    const r5 = parseStoredRecord((await redis.hget(`${prefix}audit:records`, '5'))!)!;
    if (r4.v !== 5 || r5.v !== 5) throw new Error('version 5 records expected');
    r4.groups[0]!.items[0]!.decision = 'ALLOWED';
    const re4 = linkRecord(r4.prevHash, 4, r4.firstId, r4.groups);
    const re5 = linkRecord(re4.record.hash, 5, r5.firstId, r5.groups);
    await redis.hset(`${prefix}audit:records`, '4', re4.stored, '5', re5.stored);
    await redis.set(`${prefix}audit:head`, `5:5:${re5.record.hash}`);
    // The rewrite is after the checkpoint: it verifies by the chain, and the writer cannot tell
    // it from an honest append (the contract's "up to the last sealed checkpoint")...
    expect(await sealer.seal()).toMatchObject({ sealed: { n: 2, seq: 5 } });
    // ...but rewriting what a checkpoint seals makes the writer refuse to sign again.
    const r2 = parseStoredRecord((await redis.hget(`${prefix}audit:records`, '2'))!)!;
    if (r2.v !== 5) throw new Error('version 5 expected');
    r2.groups[0]!.subject = 'someone-else';
    let prev = linkRecord(r2.prevHash, 2, r2.firstId, r2.groups);
    await redis.hset(`${prefix}audit:records`, '2', prev.stored);
    for (let seq = 3; seq <= 5; seq++) {
      const r = parseStoredRecord((await redis.hget(`${prefix}audit:records`, String(seq)))!)!;
      if (r.v !== 5) throw new Error('version 5 expected');
      prev = linkRecord(prev.record.hash, seq, r.firstId, r.groups);
      await redis.hset(`${prefix}audit:records`, String(seq), prev.stored);
    }
    await redis.set(`${prefix}audit:head`, `5:5:${prev.record.hash}`);
    await log.append([entry()]);
    const outcome = await sealer.seal();
    expect(outcome).toMatchObject({ refused: expect.stringMatching(/record 6 .*does not follow checkpoint 2 \(record 5\)/) });
  });

  it('refuses to seal once checkpoints were removed that this writer had seen', async () => {
    const prefix = `test-${randomUUID()}:`;
    const log = new RedisAuditLog(redis, { prefix });
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const sealer = new Checkpointer(log, signer, keys, { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true });
    await log.append([entry()]);
    await sealer.seal();
    const first = await redis.get(`${prefix}audit:checkpoint`);
    await log.append([entry()]);
    await sealer.seal();
    // Checkpoint 2 removed and the latest set back to checkpoint 1.
    await redis.hdel(`${prefix}audit:checkpoints`, '2');
    await redis.set(`${prefix}audit:checkpoint`, first!);
    await log.append([entry()]);
    expect(await sealer.seal()).toMatchObject({ refused: expect.stringMatching(/checkpoints were removed/) });
  });

  it('refuses a checkpoint signed with another key, and keeps checkpoints of a rolled-over key verifying', async () => {
    const prefix = `test-${randomUUID()}:`;
    const log = new RedisAuditLog(redis, { prefix });
    const old = keyFiles('rollover-old');
    const next = keyFiles('rollover-new');
    const oldSigner = readSigningKey(old.privateFile);
    await log.append([entry()]);
    await new Checkpointer(log, oldSigner, new TrustedKeys([oldSigner.publicKey]), { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true }).seal();

    // The new key alone does not know the old checkpoint: it will not chain onto it.
    const newSigner = readSigningKey(next.privateFile);
    await log.append([entry()]);
    const stranger = await new Checkpointer(log, newSigner, new TrustedKeys([newSigner.publicKey]), { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true }).seal();
    expect(stranger).toMatchObject({ refused: expect.stringMatching(new RegExp(`signed by key ${oldSigner.keyId}, which is not one of the log's keys`)) });

    // With the old key's public half configured (the rollover), it does.
    const both = new TrustedKeys([newSigner.publicKey, readPublicKey(old.publicFile)]);
    expect(await new Checkpointer(log, newSigner, both, { everyRecords: 1000, everyMs: 3_600_000 }, { verifyBeforeSigning: true }).seal()).toMatchObject({ sealed: { n: 2, keyId: newSigner.keyId } });
    const verification = await verifyAccessLog({ store: log, keys: both });
    expect(verification.findings).toEqual([]);
    expect(new Set(verification.live!.keyIds)).toEqual(new Set([oldSigner.keyId, newSigner.keyId]));
    // A verifier that only knows the new key names the old checkpoint's key.
    const onlyNew = await verifyAccessLog({ store: log, keys: new TrustedKeys([newSigner.publicKey]) });
    expect(onlyNew.findings).toContainEqual({ where: 'checkpoint 1', problem: expect.stringContaining(`signed by key ${oldSigner.keyId}`) });
    expect(keyIdOf(readPublicKey(old.publicFile))).toBe(oldSigner.keyId);
  });
});

describe('a stack', () => {
  it('seals what its subgraphs journal (every N records), and its last appends when it stops', async () => {
    const prefix = `stack-${randomUUID()}:`;
    const stack = await startTestStack({ env: { REDIS_URL: server.url, REDIS_PREFIX: prefix, AUDIT_CHECKPOINT_RECORDS: '3' } });
    const keys = new TrustedKeys([readPublicKey(stack.config.audit.signingKeyFile!)]);
    const log = new RedisAuditLog(redis, { prefix });
    try {
      for (let i = 0; i < 4; i++) {
        const r = await gql(stack.gatewayUrl, '{ person(avs: "756.1234.5678.97") { disability { status } } }', {}, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii' }));
        expect(r.body.errors).toBeUndefined();
      }
      expect((await checkpointsOf(log, keys)).length).toBeGreaterThanOrEqual(1);
    } finally {
      await stack.close();
    }
    const v = await verifyAccessLog({ store: log, keys });
    expect(v.findings).toEqual([]);
    expect(v.live).toMatchObject({ headSeq: 4, unsealed: 0 });
  });
});

describe('checkpoint format', () => {
  it('is refused when altered in any field, or signed by a key not trusted', () => {
    const signer = ephemeralSigner();
    const keys = new TrustedKeys([signer.publicKey]);
    const { text } = signCheckpoint(signer, { seq: 9, lastId: 40, hash: 'a'.repeat(64) }, 3, 'b'.repeat(64), '2026-11-20T08:00:00.000Z');
    expect(readCheckpoint(text, keys)).toMatchObject({ ok: true, checkpoint: { n: 3, seq: 9, lastId: 40, keyId: signer.keyId } });
    const edit = (f: (c: Record<string, unknown>) => void) => {
      const c = JSON.parse(text) as Record<string, unknown>;
      f(c);
      return readCheckpoint(JSON.stringify(c), keys);
    };
    for (const [field, value] of [['seq', 10], ['lastId', 39], ['hash', 'c'.repeat(64)], ['n', 4], ['prev', 'd'.repeat(64)], ['at', '2026-11-21T08:00:00.000Z']] as const) {
      expect(edit((c) => (c[field] = value)), field).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not verify/) });
    }
    const other = ephemeralSigner();
    const forged = signCheckpoint(other, { seq: 9, lastId: 40, hash: 'a'.repeat(64) }, 3, 'b'.repeat(64), '2026-11-20T08:00:00.000Z');
    expect(readCheckpoint(forged.text, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not one of the log's keys/) });
    expect(readCheckpoint('{"v":1}', keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a checkpoint/) });
  });
});

describe('the signing key in the settings', () => {
  const production = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    REDIS_URL: 'redis://127.0.0.1:1',
    IDENTITY_ISSUERS: JSON.stringify([{ issuer: 'https://idp.example', audience: 'ciigraph', jwksUrl: 'https://idp.example/jwks' }]),
    CONSENT_SIGNING_KEY_FILE: '/run/secrets/consent-signing-key',
    GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES: '/run/secrets/gw.pem',
    UNEMPLOYMENT_REGISTRY_URL: 'https://a.example',
    DISABILITY_REGISTRY_URL: 'https://b.example',
    SOCIAL_ASSISTANCE_REGISTRY_URL: 'https://c.example',
    SUPPLEMENTARY_BENEFITS_REGISTRY_URL: 'https://d.example',
    ...extra,
  });

  it('is required in production, where appends are acknowledged only on disk', () => {
    expect(() => loadConfig(production())).toThrow(/audit\.signingKeyFile \(AUDIT_SIGNING_KEY_FILE\): required in production/);
    const config = loadConfig(production({ AUDIT_SIGNING_KEY_FILE: '/run/secrets/audit-signing-key.pem' }));
    expect(config.audit).toMatchObject({ durability: 'fsync', signingKeyFile: '/run/secrets/audit-signing-key.pem', redisUrl: 'redis://127.0.0.1:1', separateRedis: false });
    expect(() => loadConfig(production({ AUDIT_SIGNING_KEY_FILE: '/k.pem', AUDIT_DURABILITY: 'async' }))).toThrow(/async is refused in production/);
  });

  it('reads the log\'s own Redis, checkpoint interval and retention from their variables', () => {
    const config = loadConfig({ AUDIT_REDIS_URL: 'redis://audit-redis:6380', AUDIT_CHECKPOINT_RECORDS: '50', AUDIT_CHECKPOINT_S: '10', AUDIT_RETENTION_DAYS: '3650', AUDIT_PUBLIC_KEY_FILES: '/a.pem,/b.pem' });
    expect(config.audit).toMatchObject({ redisUrl: 'redis://audit-redis:6380', separateRedis: true, redisPrefix: 'ciigraph:', durability: 'async', checkpoint: { everyRecords: 50, everyMs: 10_000 }, retentionDays: 3650, publicKeyFiles: ['/a.pem', '/b.pem'] });
    expect(config.redisUrl).toBeUndefined();
    expect(loadConfig({}).audit.retentionDays).toBeUndefined();
  });

  it('outside production, without a key: an ephemeral development key, said so in the log', async () => {
    const lines: string[] = [];
    logTo({ write: (l: string) => lines.push(l) }, 'warn');
    const config = loadConfig({ NODE_ENV: 'development' });
    const stores = openStores(config);
    try {
      await stores.journal.append([]);
      await stores.audit.append([entry()]);
      const outcome = await stores.checkpointer!.seal();
      expect(outcome).toMatchObject({ sealed: { n: 1, seq: 1 } });
      const keyId = (outcome as { sealed: Checkpoint }).sealed.keyId;
      expect(lines.some((l) => l.includes(keyId) && l.includes('ephemeral development key'))).toBe(true);
      // An in-memory log keeps nothing on disk, not even the public half.
      expect(readdirSync(dir).filter((f) => f.includes(keyId))).toEqual([]);
    } finally {
      await stores.close();
      logTo(process.stderr as never, 'warn');
    }
  });

  it('with a configured key file, signs with it; an unreadable one stops the start naming it', async () => {
    const { privateFile } = keyFiles('configured');
    const stores = openStores(loadConfig({ NODE_ENV: 'development', AUDIT_SIGNING_KEY_FILE: privateFile }));
    try {
      await stores.audit.append([entry()]);
      expect(await stores.checkpointer!.seal()).toMatchObject({ sealed: { keyId: readSigningKey(privateFile).keyId } });
    } finally {
      await stores.close();
    }
    const notAKey = join(dir, 'not-a-key.pem');
    writeFileSync(notAKey, 'hello');
    expect(() => openStores(loadConfig({ NODE_ENV: 'development', AUDIT_SIGNING_KEY_FILE: notAKey }))).toThrow(new RegExp(`${notAKey}[\\s\\S]*not an Ed25519 private key`));
  });
});
