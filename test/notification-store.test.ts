// The notification store contract (lib/notifications/store.ts), proven against both
// implementations: observations per institution, events handled once, notifications stored once
// by their idempotency key and read back per recipient in order (the feed), the webhook outbox
// with leases, retries, dead letters and their retry. Redis-only: a notification written into
// Redis without the store's key is neither served nor sent.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryNotificationStore } from '../lib/notifications/memory.ts';
import { RedisNotificationStore } from '../lib/notifications/redis.ts';
import type { NewNotification, NotificationStore } from '../lib/notifications/store.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { HmacSigner } from '../lib/signing.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';

let server: RedisServerHandle;
let redis: Redis;
const signer = new HmacSigner(randomBytes(32));

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'notification-store-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

const hex = (n: number) => n.toString(16).padStart(32, '0');
const note = (n: number, over: Partial<NewNotification> = {}): NewNotification => ({
  id: hex(n),
  event: hex(1000 + n),
  rule: 'ai-decision',
  source: 'AI',
  recipient: 'AC',
  avs: '756.1234.5678.97',
  category: 'ai.decision',
  about: '2026-12-14',
  message: 'The AI decided on 2026-12-14.',
  caseReference: 'ORP-GE-2026-0412',
  decidedAt: '2026-12-15T09:00:00.000Z',
  ...over,
});

const stores: [string, () => NotificationStore][] = [
  ['memory', () => new MemoryNotificationStore()],
  ['redis', () => new RedisNotificationStore(redis, signer, { prefix: `test-${randomUUID()}:` })],
];

describe.each(stores)('the %s notification store', (_name, make) => {
  it('keeps the last observation of each person per institution', async () => {
    const s = make();
    await s.observe('AC', new Map([['756.1234.5678.97', { file: true, openedOn: '2026-02-02' }]]));
    expect(await s.observations('AC', ['756.1234.5678.97', '756.9876.5432.17'])).toEqual(new Map([['756.1234.5678.97', { file: true, openedOn: '2026-02-02' }]]));
    expect(await s.observations('AS', ['756.1234.5678.97'])).toEqual(new Map());
  });

  it('remembers which events were handled', async () => {
    const s = make();
    expect(await s.handled([hex(1), hex(2)])).toEqual(new Set());
    await s.markHandled([hex(2)]);
    expect(await s.handled([hex(1), hex(2)])).toEqual(new Set([hex(2)]));
  });

  it('stores a notification once by its id and reads a recipient\'s feed in order after a position', async () => {
    const s = make();
    const [a] = await s.add([note(1)], new Set());
    const [b, again] = await s.add([note(2), note(1, { message: 'changed' })], new Set());
    expect(again).toEqual(a);
    await s.add([note(3, { recipient: 'AS' })], new Set());
    expect((await s.since('AC', 0, 10)).map((n) => n.id)).toEqual([hex(1), hex(2)]);
    expect((await s.since('AC', a!.seq, 10)).map((n) => n.id)).toEqual([hex(2)]);
    expect(await s.since('AC', b!.seq, 10)).toEqual([]);
    expect((await s.since('AS', 0, 10)).map((n) => n.id)).toEqual([hex(3)]);
    expect((await s.since('AC', 0, 1)).map((n) => n.id)).toEqual([hex(1)]);
  });

  it('queues for the webhook only recipients that have one, claims what is due under a lease, retries, gives up into the dead letters and retries those', async () => {
    const s = make();
    await s.add([note(1), note(2, { recipient: 'AS' })], new Set(['AC']));
    const t0 = '2026-12-15T09:00:00.000Z';
    const lease = '2026-12-15T09:00:10.000Z';
    expect((await s.claimDue(t0, 10, lease)).map((d) => [d.notification.id, d.attempts])).toEqual([[hex(1), 0]]);
    // Claimed: not due again before the lease ends.
    expect(await s.claimDue(t0, 10, lease)).toEqual([]);
    await s.failed(hex(1), 1, '2026-12-15T09:00:02.000Z', 'HTTP 503', t0);
    expect(await s.claimDue('2026-12-15T09:00:01.000Z', 10, lease)).toEqual([]);
    expect((await s.claimDue('2026-12-15T09:00:02.000Z', 10, lease)).map((d) => d.attempts)).toEqual([1]);
    await s.failed(hex(1), 2, null, 'HTTP 500', '2026-12-15T09:00:03.000Z');
    expect(await s.claimDue('2026-12-16T00:00:00.000Z', 10, '2026-12-16T00:00:10.000Z')).toEqual([]);
    const [dead] = await s.deadLetters();
    expect(dead).toMatchObject({ attempts: 2, lastError: 'HTTP 500', deadAt: '2026-12-15T09:00:03.000Z' });
    expect(dead!.notification.id).toBe(hex(1));
    expect(await s.retryDeadLetter(hex(9), t0)).toBe(false);
    expect(await s.retryDeadLetter(hex(1), '2026-12-16T00:00:00.000Z')).toBe(true);
    expect(await s.deadLetters()).toEqual([]);
    const [due] = await s.claimDue('2026-12-16T00:00:00.000Z', 10, '2026-12-16T00:00:10.000Z');
    expect(due).toMatchObject({ attempts: 2 });
    await s.delivered(hex(1));
    expect(await s.claimDue('2027-01-01T00:00:00.000Z', 10, '2027-01-01T00:00:10.000Z')).toEqual([]);
  });
});

describe('the Redis notification store', () => {
  it('serves and sends no notification written into Redis without its key', async () => {
    const prefix = `test-${randomUUID()}:`;
    const s = new RedisNotificationStore(redis, signer, { prefix });
    const forger = new RedisNotificationStore(redis, new HmacSigner(randomBytes(32)), { prefix });
    await forger.add([note(7)], new Set(['AC']));
    expect(await s.since('AC', 0, 10)).toEqual([]);
    expect(await s.claimDue('2027-01-01T00:00:00.000Z', 10, '2027-01-01T00:00:10.000Z')).toEqual([]);
    await s.add([note(8)], new Set());
    expect((await s.since('AC', 0, 10)).map((n) => n.id)).toEqual([hex(8)]);
  });
});

describe("the repertory's persons, which the scheduled comparison walks", () => {
  it('are every person with a written case and the persons the seed lists, in memory and in Redis', async () => {
    const { MemoryCaseRepertory } = await import('../lib/cases/memory.ts');
    const { RedisCaseRepertory } = await import('../lib/cases/redis.ts');
    const seed = { casesOf: () => [], holderOf: () => undefined, persons: () => ['756.4444.5555.62'] };
    for (const cases of [new MemoryCaseRepertory(seed), new RedisCaseRepertory(redis, signer, { prefix: `test-${randomUUID()}:`, seed })]) {
      await cases.openCase({ avs: '756.1234.5678.97', institution: 'AC', caseReference: 'ORP-1', on: '2026-02-02' });
      await cases.openCase({ avs: '756.9876.5432.17', institution: 'AS', caseReference: 'HG-1', on: '2026-02-02' });
      await cases.closeCase({ avs: '756.9876.5432.17', institution: 'AS', caseReference: 'HG-1', on: '2026-03-02' });
      expect((await cases.persons()).sort()).toEqual(['756.1234.5678.97', '756.4444.5555.62', '756.9876.5432.17']);
    }
  });
});
