// Issue 23, point 3: the dead letters are visible to operators. `npm run notifications --
// dead-letters` lists the deliveries given up on from the shared Redis store (no person's AVS
// number), `retry ID` puts one back in the outbox, `public-key` prints what receivers verify with.
import { createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKey } from '../lib/auth/dev-issuer.ts';
import { RedisNotificationStore } from '../lib/notifications/redis.ts';
import { webhookSigningKey } from '../lib/notifications/webhooks.ts';
import { closeRedis, createRedis, waitForRedis, type Redis } from '../lib/redis/connection.ts';
import { HmacSigner } from '../lib/signing.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { runCommand } from './support/run-command.ts';

let server: RedisServerHandle;
let redis: Redis;
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-dead-letters-'));
const keyFile = join(dir, 'consent-signing-key');
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'dead-letters-test' });
  await waitForRedis(redis, 10_000);
  env = { ...process.env, NODE_ENV: 'test', REDIS_URL: server.url, REDIS_PREFIX: 'dl:', CONSENT_SIGNING_KEY_FILE: keyFile, NOTIFICATION_SIGNING_KEY_FILE: join(dir, 'n.pem'), NOTIFICATION_KEY_ID: 'ops-key-7' };
});
afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

describe('npm run notifications', () => {
  it('lists the dead letters without personal data, and puts one back in the outbox', async () => {
    const store = new RedisNotificationStore(redis, new HmacSigner(localKey(keyFile)), { prefix: 'dl:' });
    const id = 'f'.repeat(32);
    await store.add([{ id, event: 'e'.repeat(32), rule: 'ai-decision', source: 'AI', recipient: 'AS', avs: '756.1234.5678.97', category: 'ai.decision', about: '2026-12-14', message: 'The AI decided on 2026-12-14.', caseReference: 'HG-GE-2026-1187', decidedAt: '2026-12-15T09:00:00.000Z' }], new Set(['AS']));
    await store.claimDue('2026-12-15T09:00:00.000Z', 10, '2026-12-15T09:00:10.000Z');
    await store.failed(id, 8, null, 'HTTP 502', '2026-12-15T10:00:00.000Z');

    const listed = await runCommand('npm', ['run', '--silent', 'notifications', '--', 'dead-letters'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout.trim())).toEqual({ id, recipient: 'AS', rule: 'ai-decision', category: 'ai.decision', attempts: 8, lastError: 'HTTP 502', deadAt: '2026-12-15T10:00:00.000Z' });
    expect(listed.stdout).not.toContain('756.');

    const retried = await runCommand('npm', ['run', '--silent', 'notifications', '--', 'retry', id], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('1 dead letter(s) back in the outbox');
    expect(await store.deadLetters()).toEqual([]);
    expect((await store.claimDue(new Date().toISOString(), 10, new Date(Date.now() + 10_000).toISOString())).map((d) => d.notification.id)).toEqual([id]);
    const unknown = await runCommand('npm', ['run', '--silent', 'notifications', '--', 'retry', '0'.repeat(32)], env);
    expect(unknown.code).toBe(1);
  });

  it('prints the key id and the public key that verifies what the stack signs', async () => {
    const out = await runCommand('npm', ['run', '--silent', 'notifications', '--', 'public-key'], env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^key id: ops-key-7\n-----BEGIN PUBLIC KEY-----/);
    const pem = out.stdout.slice(out.stdout.indexOf('-----BEGIN'));
    const key = webhookSigningKey(join(dir, 'n.pem'), 'ops-key-7', false);
    const sig = sign(null, Buffer.from('x'), key.privateKey);
    expect(verify(null, Buffer.from('x'), createPublicKey(pem), sig)).toBe(true);
  });
});
