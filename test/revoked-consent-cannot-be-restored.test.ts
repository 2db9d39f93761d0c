// Point 4 of issue 19 (CONTRACT.md section 7): someone who can write to Redis but holds no
// signing key writes a consent's pre-revocation record back (a genuine, validly signed record):
// read through the gateway of another stack instance, it releases nothing, and reads as revoked.
// With its revocation trace removed as well, the store honours it again; `npm run
// audit:verify` names it from the access log, whose CONSENT_REVOKED entry cannot be removed
// unnoticed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKeyPairPem } from '../lib/audit/signing-keys.ts';
import { closeRedis, createRedis } from '../lib/redis/connection.ts';
import { runCommand } from './support/run-command.ts';
import { storeConsentForm } from './support/consents.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const PREFIX = 'rollback:';
const ENTITLEMENT = `query($avs: ID!) { person(avs: $avs) { unemployment { entitlement { remainingDays } } } }`;
const CONSENTS = `query($avs: ID!) { person(avs: $avs) { consents { id revokedAt revokedBy { role } } } }`;

let server: RedisServerHandle;
let attacker: Redis;
let east: TestStack;
let west: TestStack;
let env: Record<string, string>;
const caseManager = (s: TestStack) => s.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });

beforeAll(async () => {
  server = await startRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-rollback-'));
  writeFileSync(join(dir, 'audit-signing-key.pem'), newKeyPairPem().privateKey, { mode: 0o600 });
  env = { REDIS_URL: server.url, REDIS_PREFIX: PREFIX, CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key'), AUDIT_SIGNING_KEY_FILE: join(dir, 'audit-signing-key.pem') };
  east = await startTestStack({ env });
  west = await startTestStack({ env });
  attacker = createRedis(server.url, { name: 'attacker' });
});
afterAll(async () => {
  await closeRedis(attacker);
  await east?.close();
  await west?.close();
  await server?.stop();
});

async function grantOnEast(): Promise<string> {
  const evidence = await storeConsentForm(east.gatewayUrl, caseManager(east));
  const validUntil = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
  const granted = await gql(east.gatewayUrl, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`, { input: { avs: PAINTER, recipients: ['AI'], categories: ['ac.entitlement'], purpose: 'cii', validUntil, evidence } }, caseManager(east));
  expect(granted.body.errors).toBeUndefined();
  return granted.body.data.grantConsent.id;
}

describe('a revoked consent written back into Redis', () => {
  it('releases nothing on another instance, and reads as revoked', async () => {
    const id = await grantOnEast();
    expect((await gql(west.gatewayUrl, ENTITLEMENT, { avs: PAINTER }, caseManager(west))).body.data.person.unemployment.entitlement.remainingDays).toBe(50);
    const beforeRevocation = await attacker.get(`${PREFIX}consent:${id}`);
    expect(beforeRevocation).toContain('"revokedAt":null');

    const revoked = await gql(east.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }`, { id }, caseManager(east));
    expect(revoked.body.data.revokeConsent.revokedAt).toBeTruthy();
    await attacker.set(`${PREFIX}consent:${id}`, beforeRevocation!);
    expect(await attacker.get(`${PREFIX}consent:${id}`)).toBe(beforeRevocation);

    const next = await gql(west.gatewayUrl, ENTITLEMENT, { avs: PAINTER }, caseManager(west));
    expect(next.body.data.person.unemployment.entitlement).toBeNull();
    expect(next.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement', reason: 'NO_CONSENT' });
    const consents = (await gql(west.gatewayUrl, CONSENTS, { avs: PAINTER }, west.as({ institution: 'CII', role: 'dpo' }))).body.data.person.consents;
    expect(consents.find((c: { id: string }) => c.id === id)).toEqual({ id, revokedAt: revoked.body.data.revokeConsent.revokedAt, revokedBy: { role: 'case-manager' } });
    // Revoking it again keeps the first revocation.
    const again = await gql(west.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }`, { id }, caseManager(west));
    expect(again.body.data.revokeConsent.revokedAt).toBe(revoked.body.data.revokeConsent.revokedAt);
  });

  it('is not honoured at all when its revocation trace is forged', async () => {
    const id = await grantOnEast();
    await gql(east.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }`, { id }, caseManager(east));
    const trace = JSON.parse((await attacker.hget(`${PREFIX}consents:revoked`, id))!);
    await attacker.hset(`${PREFIX}consents:revoked`, id, JSON.stringify({ ...trace, revokedAt: '2099-01-01T00:00:00.000Z' }));
    const consents = (await gql(west.gatewayUrl, CONSENTS, { avs: PAINTER }, west.as({ institution: 'CII', role: 'dpo' }))).body.data.person.consents;
    expect(consents.some((c: { id: string }) => c.id === id)).toBe(false);
    const next = await gql(west.gatewayUrl, ENTITLEMENT, { avs: PAINTER }, caseManager(west));
    expect(next.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement' });
  });

  it('with its revocation trace removed too, is honoured again, and npm run audit:verify names it from the log', async () => {
    const auditVerify = () => {
      const base: NodeJS.ProcessEnv = { ...process.env };
      for (const k of Object.keys(base)) if (k.startsWith('AUDIT_') || k.startsWith('REDIS_') || k.startsWith('CONSENT_')) delete base[k];
      return runCommand('npx', ['tsx', 'bin/audit-verify.ts'], { ...base, NODE_ENV: 'test', ...env });
    };
    const id = await grantOnEast();
    const beforeRevocation = await attacker.get(`${PREFIX}consent:${id}`);
    await gql(east.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }`, { id }, caseManager(east));
    const intact = await auditVerify();
    expect(intact.stdout, intact.stderr).toMatch(/^access log intact: /);
    expect(intact.stdout).toMatch(/\n {2}consent revocations: \d+ in the log, each stands in the consent store\n/);
    expect(intact.code).toBe(0);

    await attacker.hdel(`${PREFIX}consents:revoked`, id);
    await attacker.set(`${PREFIX}consent:${id}`, beforeRevocation!);
    // The store alone cannot tell: the consent releases again.
    expect((await gql(west.gatewayUrl, ENTITLEMENT, { avs: PAINTER }, caseManager(west))).body.data.person.unemployment.entitlement.remainingDays).toBe(50);

    const run = await auditVerify();
    expect(run.stdout).toMatch(new RegExp(`^access log BROKEN at consent ${id}: revoked at \\S+ \\(entry \\d+, by AI case-manager\\) but the consent store holds it in force: the revocation was undone in Redis\n$`));
    expect(run.code).toBe(1);
  }, 60_000);
});
