// The case repertory in Redis signs each person's cases: a document altered there (a closed
// case reopened, a case moved to another person) is not honoured, at the first read or after
// the same person's cases were read and honoured many times; closing and opening again works
// on what Redis holds now.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCaseRepertory } from '../lib/cases/redis.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { HmacSigner } from '../lib/signing.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'case-repertory-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

const person = () => `756.${randomUUID().slice(0, 4)}.${randomUUID().slice(0, 8)}`;

function repertory() {
  const prefix = `test-${randomUUID()}:`;
  return { cases: new RedisCaseRepertory(redis, new HmacSigner(randomBytes(32)), { prefix }), key: (avs: string) => `${prefix}cases:avs:${avs}` };
}

describe('the case repertory in Redis', () => {
  it('does not honour a closed case reopened in Redis, however often the cases were read before', async () => {
    const { cases, key } = repertory();
    const avs = person();
    await cases.openCase({ avs, institution: 'AI', caseReference: 'AI-1', on: '2026-01-05' });
    const closed = await cases.closeCase({ avs, institution: 'AI', caseReference: 'AI-1', on: '2026-06-30' });
    for (let i = 0; i < 3; i++) expect((await cases.forPersons([avs])).get(avs)).toEqual([closed]);
    const honest = (await redis.get(key(avs)))!;

    await redis.set(key(avs), honest.replace('"closedOn":"2026-06-30"', '"closedOn":null'));
    expect((await cases.forPersons([avs])).get(avs)).toEqual([]);

    await redis.set(key(avs), honest);
    expect((await cases.forPersons([avs])).get(avs)).toEqual([closed]);
  });

  it("does not honour one person's signed cases copied to another person", async () => {
    const { cases, key } = repertory();
    const [owner, other] = [person(), person()];
    const { record } = await cases.openCase({ avs: owner, institution: 'PC', caseReference: 'PC-9', on: '2026-02-01' });
    expect((await cases.forPersons([owner])).get(owner)).toEqual([record]);
    await redis.set(key(other), (await redis.get(key(owner)))!);
    const found = await cases.forPersons([owner, other]);
    expect(found.get(owner)).toEqual([record]);
    expect(found.get(other)).toEqual([]);
  });

  it('opens and closes on what Redis holds now, after the cases were read', async () => {
    const { cases } = repertory();
    const avs = person();
    await cases.openCase({ avs, institution: 'AS', caseReference: 'AS-3', on: '2026-03-01' });
    await cases.forPersons([avs]);
    await cases.closeCase({ avs, institution: 'AS', caseReference: 'AS-3', on: '2026-04-01' });
    const reopened = await cases.openCase({ avs, institution: 'AS', caseReference: 'AS-4', on: '2026-05-01' });
    expect(reopened.changed).toBe(true);
    expect((await cases.forPersons([avs])).get(avs)!.map((c) => [c.caseReference, c.closedOn])).toEqual([
      ['AS-3', '2026-04-01'],
      ['AS-4', null],
    ]);
  });
});
