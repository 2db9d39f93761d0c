// The consent store contract (lib/consents/store.ts), proven against both implementations:
// grant/get/revoke, every person's consents newest first, revocation once. Redis-only: records
// are signed, so a record altered or moved in Redis is not honoured; the caseload is read in a
// bounded number of round trips; an unreachable Redis fails closed and service resumes.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { RedisConsentStore } from '../lib/consents/redis.ts';
import { ConsentSigner, type SignedConsent } from '../lib/consents/signing.ts';
import type { ConsentRecord, ConsentStore, NewConsent } from '../lib/consents/store.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';

const signer = new ConsentSigner(randomBytes(32));
const referent = { institution: 'CII' as const, role: 'cii-referent', subject: 'referent-1' };
const counsellor = { institution: 'AC' as const, role: 'counsellor', subject: 'counsellor-7' };

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: 'consent-store-test' });
  await waitForRedis(redis, 10_000);
});

afterAll(async () => {
  if (redis) await closeRedis(redis);
  if (server) await server.stop();
});

const uniquePrefix = () => `test-${randomUUID()}:`;

/** A consent granted `minutesAgo` before a fixed moment, so grant order is unambiguous. */
function consent(avs: string, minutesAgo: number, over: Partial<NewConsent> = {}): NewConsent {
  return {
    avs,
    recipients: ['AI'],
    categories: ['ac.entitlement'],
    purpose: 'cii',
    validUntil: '2099-12-31',
    grantedAt: new Date(Date.UTC(2026, 10, 20, 12, 0) - minutesAgo * 60_000).toISOString(),
    evidence: randomBytes(32).toString('hex'),
    recordedBy: referent,
    ...over,
  };
}

/** AVS-like keys unique to the test; the store treats AVS as opaque keys. */
const person = (n: number) => `756.${String(n).padStart(4, '0')}.${randomUUID().slice(0, 8)}`;

const factories: { name: string; create: () => ConsentStore }[] = [
  { name: 'memory', create: () => new MemoryConsentStore() },
  { name: 'redis', create: () => new RedisConsentStore(redis, signer, { prefix: uniquePrefix(), log: () => {} }) },
];

describe.each(factories)('consent store: $name', ({ create }) => {
  it('grants a consent and reads it back by id', async () => {
    const store = create();
    const input = consent(person(1), 10, { recipients: ['AI', 'CII'], categories: ['ac.entitlement', 'as.benefits'] });
    const granted = await store.grant(input);
    expect(granted).toEqual({ ...input, id: expect.any(String), revokedAt: null, revokedBy: null });
    expect(await store.get(granted.id)).toEqual(granted);
  });

  it("returns each person's consents, newest first, and nobody else's", async () => {
    const store = create();
    const [a, b, c] = [person(1), person(2), person(3)];
    const a1 = await store.grant(consent(a, 30, { purpose: 'placement' }));
    const b1 = await store.grant(consent(b, 20));
    const a2 = await store.grant(consent(a, 10, { purpose: 'cii' }));
    const a3 = await store.grant(consent(a, 5, { purpose: 'benefit-assessment' }));

    const found = await store.forPersons([a, b, c]);
    expect(found.get(a)?.map((r) => r.id)).toEqual([a3.id, a2.id, a1.id]);
    expect(found.get(a)?.[0]).toEqual(a3);
    expect(found.get(b)).toEqual([b1]);
    expect(found.get(c)).toEqual([]);
  });

  it('revokes once: revokedAt and revokedBy are set, and a second revocation keeps the first', async () => {
    const store = create();
    const avs = person(1);
    const kept = await store.grant(consent(avs, 20));
    const granted = await store.grant(consent(avs, 10));

    const revoked = await store.revoke(granted.id, '2026-11-21T08:00:00.000Z', counsellor);
    expect(revoked).toEqual({ ...granted, revokedAt: '2026-11-21T08:00:00.000Z', revokedBy: counsellor });
    expect(await store.get(granted.id)).toEqual(revoked);

    const again = await store.revoke(granted.id, '2026-11-22T09:00:00.000Z', referent);
    expect(again).toEqual(revoked);
    expect(await store.get(granted.id)).toEqual(revoked);

    // Revoked consents stay on record; the other one is untouched.
    expect((await store.forPersons([avs])).get(avs)).toEqual([revoked, kept]);
  });

  it('settles two concurrent revocations on one of them', async () => {
    const store = create();
    const granted = await store.grant(consent(person(1), 10));
    const [first, second] = await Promise.all([
      store.revoke(granted.id, '2026-11-21T08:00:00.000Z', counsellor),
      store.revoke(granted.id, '2026-11-21T08:00:01.000Z', referent),
    ]);
    expect(first).not.toBeNull();
    expect(second).toEqual(first);
    expect(await store.get(granted.id)).toEqual(first);
  });

  it('answers null for an unknown id', async () => {
    const store = create();
    await store.grant(consent(person(1), 10));
    const unknown = randomUUID();
    expect(await store.get(unknown)).toBeNull();
    expect(await store.revoke(unknown, '2026-11-21T08:00:00.000Z', counsellor)).toBeNull();
  });

  it('reads a caseload of 300 persons, each with their own consents', async () => {
    const store = create();
    const persons = Array.from({ length: 300 }, (_, i) => person(i));
    const granted = new Map<string, ConsentRecord[]>();
    for (const [i, avs] of persons.entries()) {
      // Every third person has two consents, every seventh none.
      const count = i % 7 === 0 ? 0 : i % 3 === 0 ? 2 : 1;
      const mine: ConsentRecord[] = [];
      for (let k = 0; k < count; k++) mine.unshift(await store.grant(consent(avs, 100 - k)));
      granted.set(avs, mine);
    }
    const found = await store.forPersons(persons);
    expect(found.size).toBe(300);
    for (const avs of persons) expect(found.get(avs)).toEqual(granted.get(avs));
  });
});

describe('consent store: redis only', () => {
  /** A store whose Redis client records each command it is sent (a pipeline counts once). */
  function countingStore(prefix: string): { store: RedisConsentStore; calls: string[] } {
    const calls: string[] = [];
    const counting = new Proxy(redis, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { store: new RedisConsentStore(counting, signer, { prefix, log: () => {} }), calls };
  }

  it('reads a caseload in a bounded number of round trips, whatever its size', async () => {
    const prefix = uniquePrefix();
    const seeding = new RedisConsentStore(redis, signer, { prefix });
    const persons = Array.from({ length: 300 }, (_, i) => person(i));
    for (const avs of persons) await seeding.grant(consent(avs, 10));

    const small = countingStore(prefix);
    expect((await small.store.forPersons(persons.slice(0, 3))).get(persons[0]!)).toHaveLength(1);
    const large = countingStore(prefix);
    const found = await large.store.forPersons(persons);
    expect([...found.values()].every((list) => list.length === 1)).toBe(true);

    expect(large.calls.length).toBeLessThanOrEqual(2);
    expect(large.calls.length).toBe(small.calls.length);
  });

  /** A store that keeps what it logs, and the raw key of a consent. */
  function inspectedStore() {
    const prefix = uniquePrefix();
    const logged: string[] = [];
    const store = new RedisConsentStore(redis, signer, { prefix, log: (m) => logged.push(m) });
    return { store, logged, recordKey: (id: string) => `${prefix}consent:${id}`, indexKey: (avs: string) => `${prefix}consents:avs:${avs}` };
  }

  async function alter(key: string, change: (record: ConsentRecord) => void): Promise<void> {
    const signed = JSON.parse((await redis.get(key))!) as SignedConsent;
    change(signed.record);
    await redis.set(key, JSON.stringify(signed));
  }

  it.each([
    ['purpose', (r: ConsentRecord) => void (r.purpose = 'placement')],
    ['recipients', (r: ConsentRecord) => void r.recipients.push('AS')],
    ['validity', (r: ConsentRecord) => void (r.validUntil = '2199-12-31')],
  ])('does not honour a record whose %s was altered in Redis', async (_field, change) => {
    const { store, logged, recordKey } = inspectedStore();
    const avs = person(1);
    const intact = await store.grant(consent(avs, 20));
    const altered = await store.grant(consent(avs, 10));
    await alter(recordKey(altered.id), change);

    expect(await store.get(altered.id)).toBeNull();
    expect((await store.forPersons([avs])).get(avs)).toEqual([intact]);
    expect(await store.revoke(altered.id, '2026-11-21T09:00:00.000Z', counsellor)).toBeNull();
    expect(logged).toContain(`consent ${altered.id} fails its signature: not honoured`);
    // Revoking did not re-sign (launder) the altered record.
    expect(await store.get(altered.id)).toBeNull();
  });

  it('checks what Redis holds at each read: a record honoured before is refused once altered, or once copied under another id', async () => {
    const { store, logged, recordKey } = inspectedStore();
    const avs = person(1);
    const granted = await store.grant(consent(avs, 10));
    const original = (await redis.get(recordKey(granted.id)))!;
    for (let i = 0; i < 3; i++) expect((await store.forPersons([avs])).get(avs)).toEqual([granted]);

    await alter(recordKey(granted.id), (r) => void (r.validUntil = '2199-12-31'));
    expect((await store.forPersons([avs])).get(avs)).toEqual([]);
    expect(await store.get(granted.id)).toBeNull();
    expect(logged.filter((m) => m === `consent ${granted.id} fails its signature: not honoured`)).toHaveLength(2);

    await redis.set(recordKey(granted.id), original);
    expect(await store.get(granted.id)).toEqual(granted);
    await redis.set(recordKey('copied'), original);
    expect(await store.get('copied')).toBeNull();
    expect(logged).toContain(`consent copied holds the record of consent ${granted.id}: not honoured`);
  });

  it('does not honour a revocation undone in Redis', async () => {
    const { store, logged, recordKey } = inspectedStore();
    const avs = person(1);
    const granted = await store.grant(consent(avs, 10));
    await store.revoke(granted.id, '2026-11-21T08:00:00.000Z', counsellor);
    await alter(recordKey(granted.id), (r) => {
      r.revokedAt = null;
      r.revokedBy = null;
    });

    expect(await store.get(granted.id)).toBeNull();
    expect((await store.forPersons([avs])).get(avs)).toEqual([]);
    expect(logged).toContain(`consent ${granted.id} fails its signature: not honoured`);
  });

  it('does not honour a record signed with another key', async () => {
    const { store, logged, recordKey } = inspectedStore();
    const avs = person(1);
    const granted = await store.grant(consent(avs, 10));
    const forger = new ConsentSigner(randomBytes(32));
    await redis.set(recordKey(granted.id), JSON.stringify(forger.sign({ ...granted, categories: ['ai.decision'] })));
    expect(await store.get(granted.id)).toBeNull();
    expect((await store.forPersons([avs])).get(avs)).toEqual([]);
    expect(logged).toContain(`consent ${granted.id} fails its signature: not honoured`);
  });

  it("drops a genuine record copied under another person's index", async () => {
    const { store, logged, indexKey } = inspectedStore();
    const [owner, other] = [person(1), person(2)];
    const granted = await store.grant(consent(owner, 10));
    await redis.zadd(indexKey(other), Date.now(), granted.id);

    const found = await store.forPersons([owner, other]);
    expect(found.get(owner)).toEqual([granted]);
    expect(found.get(other)).toEqual([]);
    expect(logged.some((m) => m.startsWith(`consent ${granted.id} `) && m.endsWith('not honoured'))).toBe(true);
  });

  it('rejects while Redis is down (fail closed) and works again once it is back', async () => {
    const own = await startRedisServer();
    const client = createRedis(own.url, { name: 'consent-store-outage' });
    try {
      await waitForRedis(client, 10_000);
      const store = new RedisConsentStore(client, signer, { prefix: uniquePrefix(), log: () => {} });
      const avs = person(1);
      await store.grant(consent(avs, 10));

      await own.stop();
      await expect(store.forPersons([avs])).rejects.toThrow();
      await expect(store.grant(consent(avs, 5))).rejects.toThrow();
      await expect(store.get(randomUUID())).rejects.toThrow();

      await own.restart();
      await waitForRedis(client, 10_000);
      // The restarted server is empty (no persistence): a new grant is found again.
      const again = await store.grant(consent(avs, 1));
      expect((await store.forPersons([avs])).get(avs)).toEqual([again]);
    } finally {
      await closeRedis(client);
      await own.stop();
    }
  });
});
