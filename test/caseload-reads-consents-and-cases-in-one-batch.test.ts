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

/** Read commands Redis has answered so far (the stores read with MGET, HMGET, GET). */
async function reads(): Promise<number> {
  const stats = await client.info('commandstats');
  return [...stats.matchAll(/^cmdstat_(mget|hmget|get|hgetall|zrange\w*):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[2]), 0);
}

async function readsFor(n: number): Promise<number> {
  const before = await reads();
  const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs: persons.slice(0, n) }, stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' }));
  expect(body.data.persons).toHaveLength(n);
  expect(body.data.persons[n - 1].unemployment).not.toBeNull();
  return (await reads()) - before;
}

describe('a caseload on Redis', () => {
  it('reads the same number of times for 200 persons as for 2', async () => {
    await readsFor(2); // warm: nothing read once per process is counted below
    const few = await readsFor(2);
    const many = await readsFor(200);
    expect(many).toBe(few);
    expect(few).toBeGreaterThan(0);
  });
});
