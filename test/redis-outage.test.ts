// Redis stops mid-run: nothing is released (fail closed, with a clear code) and no request
// hangs; when Redis is back, the stack serves again without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { waitFor } from './support/ports.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
// unemployment.office: a legal basis (LACI art. 85f); disability.workCapacity: consent only.
const Q = `query($avs: ID!) { person(avs: $avs) { avs unemployment { office } disability { workCapacity { adaptedActivityPercent } } } }`;

let redis: RedisServerHandle;
let stack: TestStack;
beforeAll(async () => {
  redis = await startRedisServer();
  stack = await startTestStack({ env: { REDIS_URL: redis.url, REDIS_PREFIX: 'outage:' } });
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

const ask = () => gql(stack.gatewayUrl, Q, { avs: PAINTER }, stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' }));

describe('Redis down', () => {
  it('fails closed, answers promptly, and recovers when Redis is back', async () => {
    const healthy = await ask();
    expect(healthy.body.data.person.unemployment.office).toBeTruthy();

    await redis.stop();
    stack.mocks!.resetCounters();
    const down = await ask();
    expect(down.status).toBe(200);
    expect(down.body.data.person).toEqual({ avs: PAINTER, unemployment: null, disability: null });
    const codes = new Set(down.body.errors?.map((e) => e.extensions?.code));
    // Legal-basis fields fail too: the decision cannot be journaled.
    const storeFailures = ['AUDIT_UNAVAILABLE', 'CONSENT_STORE_UNAVAILABLE', 'CASE_REPERTORY_UNAVAILABLE'];
    expect([...codes].some((c) => storeFailures.includes(c))).toBe(true);
    expect([...codes].every((c) => storeFailures.includes(c))).toBe(true);
    expect(down.text).not.toContain('ORP');
    expect(Object.values(stack.mocks!.calls).every((n) => n === 0)).toBe(true);

    // Recording a consent fails closed too, with the store's code.
    const grant = await gql(
      stack.gatewayUrl,
      `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`,
      { input: { avs: PAINTER, recipients: ['AS'], categories: ['ai.workCapacity'], purpose: 'cii', validUntil: new Date(Date.now() + 86_400_000 * 30).toISOString().slice(0, 10), evidence: 'c'.repeat(64) } },
      stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' }),
    );
    // The open case it needs cannot be read, nor the consent written: refused either way.
    expect(['CASE_REPERTORY_UNAVAILABLE', 'CONSENT_STORE_UNAVAILABLE']).toContain(grant.body.errors?.[0]?.extensions?.code);

    await redis.restart();
    const back = await waitFor(async () => {
      const r = await ask();
      return r.body.data?.person?.unemployment ? r : undefined;
    }, 20_000, 'the stack to serve again after Redis restarted');
    expect(back.body.data.person.unemployment.office).toBeTruthy();
    expect(back.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']); // workCapacity: no consent
  });
});
