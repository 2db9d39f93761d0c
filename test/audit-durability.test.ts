// Durability of the access log (lib/audit/durability.ts): with AUDIT_DURABILITY=fsync (the
// production default) an append is acknowledged only once it is on disk. This machine's Redis
// is 7.0 (no WAITAOF): appends are refused unless the log's Redis keeps an append-only file
// fsynced on every write (appendfsync always), checked when the writer connects and again
// while it runs (a CONFIG SET can change it); WAITAOF is chosen from Redis 7.2 on (INFO).
// A stack refuses to release data while its log is not durable (AUDIT_UNAVAILABLE). The log
// may live in a Redis of its own (AUDIT_REDIS_URL), apart from consents and cases. A writer
// SIGKILLed mid-append loses no acknowledged record, and neither does its Redis killed after
// it and restarted from its append-only file. (A SIGKILLed Redis keeps what it wrote to its
// file even with everysec: only a crash of the machine tells fsync apart, which no test here
// can cause; what is tested is that the writer accepts no weaker setting.)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { durabilityPlan } from '../lib/audit/durability.ts';
import type { NewAccessLogEntry } from '../lib/audit/log.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { newKeyPairPem, readSigningKey, TrustedKeys } from '../lib/audit/signing-keys.ts';
import { verifyAccessLog } from '../lib/audit/verify.ts';
import { closeRedis, createRedis, waitForRedis, type Redis } from '../lib/redis/connection.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { ROOT } from './support/run-command.ts';
import { gql, startTestStack } from './support/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'ciigraph-durability-'));
const pair = newKeyPairPem();
const keyFile = join(dir, 'audit-signing-key.pem');
writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
const signer = readSigningKey(keyFile);
const keys = new TrustedKeys([signer.publicKey]);

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function server(appendfsync?: 'always' | 'everysec'): Promise<{ handle: RedisServerHandle; client: Redis }> {
  const handle = await startRedisServer(appendfsync ? { appendfsync } : {});
  const client = createRedis(handle.url, { name: 'durability-test' });
  await waitForRedis(client, 10_000);
  cleanup.push(async () => {
    await closeRedis(client);
    await handle.stop();
  });
  return { handle, client };
}

const entry = (): NewAccessLogEntry => ({
  at: new Date().toISOString(),
  institution: 'AI',
  role: 'case-manager',
  subject: 'cm-1',
  avs: '756.1234.5678.97',
  category: 'ai.file',
  decision: 'ALLOWED',
  legalBasis: 'own mandate',
  consentId: null,
  purpose: 'cii',
  caseReference: null,
  subgraph: 'disability',
  requestId: randomUUID(),
});

describe('how a write is made durable, by server version', () => {
  it('WAITAOF from Redis 7.2 on, appendfsync always before', async () => {
    expect(durabilityPlan('# Server\r\nredis_version:7.0.15\r\n')).toEqual({ version: '7.0.15', how: 'appendfsync-always' });
    expect(durabilityPlan('# Server\r\nredis_version:7.2.4\r\n')).toEqual({ version: '7.2.4', how: 'waitaof' });
    expect(durabilityPlan('redis_version:8.0.2\r\n')).toEqual({ version: '8.0.2', how: 'waitaof' });
    expect(durabilityPlan('redis_version:6.2.14\r\n').how).toBe('appendfsync-always');
    expect(() => durabilityPlan('# Server\r\n')).toThrow(/no redis_version/);
    // This machine's server, as the writer reads it.
    const { client } = await server();
    const plan = durabilityPlan(await client.info('server'));
    const [major, minor] = plan.version.split('.').map(Number) as [number, number];
    expect(plan.how).toBe(major * 100 + minor >= 702 ? 'waitaof' : 'appendfsync-always');
  });
});

describe('AUDIT_DURABILITY=fsync', () => {
  it('refuses appends to a Redis that keeps no append-only file', async () => {
    const { client } = await server();
    const log = new RedisAuditLog(client, { prefix: 'd:', durability: 'fsync' });
    await expect(log.append([entry()])).rejects.toThrow(/appends refused: .* would acknowledge them before they are on disk: it keeps no append-only file \(appendonly no\)/);
    expect(await client.exists('d:audit:head')).toBe(0);
  });

  it('refuses appends to a Redis that fsyncs once a second', async () => {
    const { client } = await server('everysec');
    const log = new RedisAuditLog(client, { prefix: 'd:', durability: 'fsync' });
    await expect(log.append([entry()])).rejects.toThrow(/fsyncs its append-only file once a second \(appendfsync everysec\), not on every write \(appendfsync always\)/);
    expect(await client.exists('d:audit:head')).toBe(0);
    // Where durability is not asked for (development), it appends.
    await new RedisAuditLog(client, { prefix: 'a:', durability: 'async' }).append([entry()]);
    expect(await client.exists('a:audit:head')).toBe(1);
  });

  it('appends to a Redis with appendfsync always, and stops the moment it is set to fsync less', async () => {
    const { client } = await server('always');
    const log = new RedisAuditLog(client, { prefix: 'd:', durability: 'fsync', durabilityRecheckMs: 0 });
    await log.append([entry()]);
    await client.config('SET', 'appendfsync', 'everysec');
    await expect(log.append([entry()])).rejects.toThrow(/appendfsync everysec/);
    await client.config('SET', 'appendfsync', 'always');
    await log.append([entry()]);
    expect(await log.verify()).toMatchObject({ ok: true, count: 2 });
  });

  it('a stack releases nothing while its log is not durable (AUDIT_UNAVAILABLE), and serves once it is', async () => {
    const { handle, client } = await server('everysec');
    const stack = await startTestStack({ env: { REDIS_URL: handle.url, REDIS_PREFIX: 'stack:', AUDIT_DURABILITY: 'fsync', AUDIT_SIGNING_KEY_FILE: keyFile } });
    cleanup.push(() => stack.close());
    const ask = () => gql(stack.gatewayUrl, '{ person(avs: "756.1234.5678.97") { disability { status } } }', {}, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii' }));
    const refused = await ask();
    expect(refused.body.data?.person?.disability ?? null).toBeNull();
    expect(refused.body.errors?.map((e) => e.extensions?.code)).toContain('AUDIT_UNAVAILABLE');
    await client.config('SET', 'appendfsync', 'always');
    // The writer checks again at most a second later; until then it still refuses.
    let served = await ask();
    for (let i = 0; i < 40 && served.body.errors?.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      served = await ask();
    }
    expect(served.body.errors).toBeUndefined();
    expect(served.body.data.person.disability.status).toBe('EARLY_INTERVENTION');
  });
});

describe('AUDIT_REDIS_URL', () => {
  it('keeps the access log in a Redis of its own, apart from consents and cases', async () => {
    const shared = await server();
    const evidence = await server('always');
    const stack = await startTestStack({ env: { REDIS_URL: shared.handle.url, AUDIT_REDIS_URL: evidence.handle.url, AUDIT_DURABILITY: 'fsync', AUDIT_SIGNING_KEY_FILE: keyFile } });
    cleanup.push(() => stack.close());
    const r = await gql(stack.gatewayUrl, '{ person(avs: "756.1234.5678.97") { disability { status } } }', {}, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii' }));
    expect(r.body.errors).toBeUndefined();
    expect(await evidence.client.exists('ciigraph:audit:head')).toBe(1);
    expect(await shared.client.keys('ciigraph:audit:*')).toEqual([]);
    expect((await evidence.client.keys('ciigraph:*')).every((k) => k.startsWith('ciigraph:audit:'))).toBe(true);
  });
});

describe('a writer killed mid-append', () => {
  it('loses no acknowledged record, nor does its Redis killed after it and restarted from its append-only file', async () => {
    const redis = await startRedisServer({ appendfsync: 'always' });
    cleanup.push(() => redis.stop());
    const prefix = `killed-${randomUUID()}:`;
    const child = spawn('npx', ['tsx', 'test/support/audit-writer.ts'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: prefix, AUDIT_SIGNING_KEY_FILE: keyFile },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    const drained = new Promise((r) => child.stdout.once('close', r));
    // Killed while its four loops append (each acknowledgement is followed at once by the next append).
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.split('\n').length > 300) resolve();
      });
      void exited.then(() => reject(new Error(`the writer ended by itself: ${err}`)));
    });
    process.kill(-child.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Everything it printed before it died, read to the end of the pipe.
    await drained;
    const acknowledged = out.split('\n').filter((l) => l.startsWith('ack ')).map((l) => l.split(' ')[1]!);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    await redis.crash();
    await redis.restart();
    const client = createRedis(redis.url, { name: 'after-the-crash' });
    try {
      await waitForRedis(client, 10_000);
      const log = new RedisAuditLog(client, { prefix });
      const { entries, unreadable } = await log.readAll();
      expect(unreadable).toEqual([]);
      const written = new Set(entries.map((e) => e.requestId));
      expect(acknowledged.filter((id) => !written.has(id))).toEqual([]);
      // An append in flight when it died is either whole or absent: the log verifies, checkpoints and all.
      const v = await verifyAccessLog({ store: log, keys });
      expect(v.findings).toEqual([]);
      expect(v.live!.checkpoints).toBeGreaterThan(0);
      expect(entries.length).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      await closeRedis(client);
    }
  }, 60_000);
});
