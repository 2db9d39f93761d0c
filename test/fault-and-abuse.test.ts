// The fault-and-abuse suite: hostile input (random AVS strings), a subgraph killed under load,
// Redis restarted under load, and a bounded soak that checks the access log holds exactly one
// entry per decision made. No 5xx anywhere, no unhandled rejection, and after each abuse a
// normal query still succeeds. (JWT tampering: identity.test.ts; forged subgraph calls:
// forged-subgraph-credentials.test.ts; oversized and deep queries: operation-limits.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAvs } from '../lib/avs.ts';
import { seedConsent } from './support/consents.ts';
import { runLoad } from './support/load.ts';
import { FILES } from './support/queries.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** mulberry32: a seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomAvsLike(next: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
  return pick([
    () => `756.${digits(4)}.${digits(4)}.${digits(2)}`, // right shape, check digit right one time in ten
    () => `756${digits(10)}`,
    () => digits(Math.floor(next() * 20)),
    () => `${pick(['', ' ', '756.', '\u0000', '７５６'])}${digits(8)}${pick(['', '.', '..', '\n', '😀', "'; DROP TABLE", '<script>'])}`,
    () => 'x'.repeat(Math.floor(next() * 5000)),
    () => `756.${digits(4)}.${digits(4)}.${digits(2)}${pick(['0', ' ', '.1'])}`,
  ])();
}

describe('hostile input', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => stack?.close());

  it('answers 300 random AVS-like strings with BAD_USER_INPUT or a Person, never a 5xx; a normal query follows each', async () => {
    const next = rng(20261122);
    const headers = stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' });
    for (let i = 0; i < 300; i++) {
      const avs = randomAvsLike(next);
      stack.mocks!.resetCounters();
      const { status, body } = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { avs unemployment { office } } }`, { avs }, headers);
      expect(status, JSON.stringify(avs)).toBeLessThan(500);
      const valid = parseAvs(avs);
      if (valid.ok) {
        expect(body.data.person.avs).toBe(valid.avs);
      } else {
        expect(body.errors?.[0]?.extensions?.code, JSON.stringify(avs)).toBe('BAD_USER_INPUT');
        expect(Object.values(stack.mocks!.calls).every((n) => n === 0)).toBe(true);
      }
      const normal = await gql(stack.gatewayUrl, `{ person(avs: "${PAINTER}") { unemployment { office } } }`, {}, headers);
      expect(normal.body.data.person.unemployment.office).toBeTruthy();
    }
  });
});

describe('a subgraph killed under load', () => {
  it('costs only its part: no 5xx, the other files keep coming', async () => {
    const stack = await startTestStack();
    try {
      const headers = stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
      const q = `query { person(avs: "${PAINTER}") { unemployment { office } disability { status } socialAssistance { center } } }`;
      const killer = new Promise<void>((r) => setTimeout(r, 700)).then(() => stack.services.find((s) => s.name === 'social-assistance')!.close());
      const { results, statuses } = await runLoad({ workers: 6, durationMs: 2000 }, async () => {
        const r = await gql(stack.gatewayUrl, q, {}, headers);
        return { status: r.status, body: r.body };
      });
      await killer;
      expect([...statuses.keys()]).toEqual([200]);
      for (const r of results) {
        expect(r.body.data.person.disability.status).toBe('EARLY_INTERVENTION');
        expect(r.body.data.person.unemployment.office).toBeTruthy();
        if (r.body.data.person.socialAssistance === null) expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      }
      // Some requests ran before and some after the kill.
      expect(results.some((r) => r.body.data.person.socialAssistance !== null)).toBe(true);
      expect(results.some((r) => r.body.data.person.socialAssistance === null)).toBe(true);
    } finally {
      await stack.close();
    }
  });
});

describe('Redis restarted under load', () => {
  let redis: RedisServerHandle;
  let stack: TestStack;
  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startTestStack({ env: { REDIS_URL: redis.url, REDIS_PREFIX: 'restart:' } });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('fails closed while Redis is away, never hangs or answers 5xx, serves again after, and the chain holds', async () => {
    const headers = stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' });
    const q = `query { person(avs: "${PAINTER}") { unemployment { office } } }`;
    const outage = (async () => {
      await new Promise((r) => setTimeout(r, 500));
      await redis.stop();
      await new Promise((r) => setTimeout(r, 700));
      await redis.restart();
    })();
    const { results, statuses } = await runLoad({ workers: 4, durationMs: 3500 }, async () => {
      const r = await gql(stack.gatewayUrl, q, {}, headers);
      return { status: r.status, body: r.body };
    });
    await outage;
    expect([...statuses.keys()]).toEqual([200]);
    let served = 0;
    let refused = 0;
    for (const r of results) {
      if (r.body.data.person.unemployment) served++;
      else {
        refused++;
        expect(['AUDIT_UNAVAILABLE', 'CONSENT_STORE_UNAVAILABLE', 'CASE_REPERTORY_UNAVAILABLE']).toContain(r.body.errors?.[0]?.extensions?.code);
      }
    }
    expect(served).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const after = await gql(stack.gatewayUrl, q, {}, headers);
    expect(after.body.data.person.unemployment.office).toBeTruthy();
    // An in-memory Redis lost the log with its restart (no persistence in this test server);
    // what was written since must still be one valid chain.
    expect((await stack.audit.verify()).ok).toBe(true);
  });
});

describe('bounded soak', () => {
  it('serves a mixed load with no 5xx, and the access log holds exactly one entry per decision made', async () => {
    const stack = await startTestStack();
    try {
      const avs = [PAINTER, '756.9876.5432.17', '756.1111.2222.39', '756.4444.5555.62'];
      for (const a of avs) await seedConsent(stack.consents, { avs: a, recipients: ['AI', 'AS'], categories: ['ac.entitlement', 'as.benefits', 'ai.workCapacity'], purpose: 'cii' });
      const kinds = [
        { query: `query($avs: ID!) { person(avs: $avs) { ...Files } } ${FILES}`, variables: { avs: PAINTER }, headers: stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' }) },
        { query: `query($avs: [ID!]!) { persons(avs: $avs) { ...Files } } ${FILES}`, variables: { avs }, headers: stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' }) },
        { query: `query($avs: [ID!]!) { persons(avs: $avs) { ...Files consents { id } } } ${FILES}`, variables: { avs }, headers: stack.as({ institution: 'PC', role: 'pc-officer', purpose: 'cii', caseReference: 'PC-3' }) },
        { query: `query($avs: ID!) { person(avs: $avs) { disability { medical { diagnoses } } } }`, variables: { avs: PAINTER }, headers: stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' }) },
      ];
      const soakMs = Number(process.env.SOAK_SECONDS ?? 12) * 1000;
      const { results, statuses } = await runLoad({ workers: 6, durationMs: Math.min(soakMs, 60_000) }, async (i) => {
        const kind = i % kinds.length;
        const k = kinds[kind]!;
        const res = await fetch(`${stack.gatewayUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...k.headers },
          body: JSON.stringify({ query: k.query, variables: k.variables }),
        });
        await res.arrayBuffer();
        return { status: res.status, kind, requestId: res.headers.get('x-request-id')! };
      });
      expect([...statuses.keys()]).toEqual([200]);
      expect(results.length).toBeGreaterThan(50);

      const log = (stack.audit as unknown as { all(): { requestId: string; avs: string; category: string }[] }).all();
      const byRequest = new Map<string, string[]>();
      for (const e of log) byRequest.set(e.requestId, [...(byRequest.get(e.requestId) ?? []), `${e.avs} ${e.category}`]);
      // Every entry belongs to a request we made; each request decided each person × category once,
      // and requests of the same kind made the same decisions.
      expect(new Set(byRequest.keys())).toEqual(new Set(results.map((r) => r.requestId)));
      const perKind = new Map<number, string>();
      for (const r of results) {
        const decisions = (byRequest.get(r.requestId) ?? []).sort();
        expect(new Set(decisions).size).toBe(decisions.length);
        const signature = decisions.join('|');
        if (!perKind.has(r.kind)) perKind.set(r.kind, signature);
        expect(signature).toBe(perKind.get(r.kind));
      }
      expect(log.length).toBe(results.reduce((n, r) => n + byRequest.get(r.requestId)!.length, 0));
      expect((await stack.audit.verify()).ok).toBe(true);
    } finally {
      await stack.close();
    }
  }, 90_000);
});
