// A caseload's consents and cases are read in one batch per subgraph request, both stores in
// the same turn (CONTRACT.md section 6, issue 18): on Redis, the reads a request makes do not
// grow with the number of persons.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personsWithEveryFile } from './support/persons.ts';
import { CASELOAD } from './support/queries.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

let redis: RedisServerHandle;
let client: Redis;
let stack: TestStack;
const persons = personsWithEveryFile(200, 300_000_000);
beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url);
  stack = await startTestStack({ env: { REDIS_URL: redis.url, CONSENT_SIGNING_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'ciigraph-batch-')), 'consent-signing-key') } });
  for (const [i, avs] of persons.entries()) await stack.cases.openCase({ avs, institution: 'AS', caseReference: `HG-BATCH-${i}`, on: '2026-11-01' });
});
afterAll(async () => {
  client?.disconnect();
  await stack?.close();
  await redis?.stop();
});

/** Batch reads Redis has answered so far: the repertory and the consent registry read their records with one MGET per batch (the access log's own reads, which vary with its appends, are other commands). */
async function reads(): Promise<{ mget: number; keyReads: number }> {
  const stats = await client.info('commandstats');
  const calls = (cmd: string) => Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return { mget: calls('mget'), keyReads: calls('get') + calls('hget') + calls('hmget') + calls('mget') };
}

async function readsFor(n: number): Promise<{ mget: number; keyReads: number }> {
  const before = await reads();
  const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs: persons.slice(0, n) }, stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' }));
  expect(body.data.persons).toHaveLength(n);
  expect(body.data.persons[n - 1].unemployment).not.toBeNull();
  const after = await reads();
  return { mget: after.mget - before.mget, keyReads: after.keyReads - before.keyReads };
}

describe('a caseload on Redis', () => {
  it('reads the same number of times for 200 persons as for 2', async () => {
    await readsFor(2); // warm: nothing read once per process is counted below
    const few = await readsFor(2);
    const many = await readsFor(200);
    expect(many.mget).toBe(few.mget);
    expect(few.mget).toBeGreaterThan(0);
    // Not one read per person either (the log's own reads vary by a few with its appends).
    expect(many.keyReads - few.keyReads).toBeLessThan(20);
  });
});
