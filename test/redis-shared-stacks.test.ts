// Two complete stacks on one redis-server, as two deployments of the gateway and subgraphs
// would share it: a consent recorded on one releases data on the other, a revocation on one
// takes effect on the very next request of the other, and both append to one valid chain.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { storeConsentForm } from './support/consents.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const ENTITLEMENT = `query($avs: ID!) { person(avs: $avs) { unemployment { entitlement { remainingDays } } } }`;

let redis: RedisServerHandle;
let east: TestStack;
let west: TestStack;
beforeAll(async () => {
  redis = await startRedisServer();
  // The deployments share Redis and the consent service's signing key, nothing else.
  const env = {
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'shared:',
    CONSENT_SIGNING_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'ciigraph-shared-')), 'consent-signing-key'),
  };
  east = await startTestStack({ env });
  west = await startTestStack({ env });
});
afterAll(async () => {
  await east?.close();
  await west?.close();
  await redis?.stop();
});

describe('two stacks on one Redis', () => {
  it('share consents: granted on one, honoured on the other; revoked on one, refused by the other on the next request', async () => {
    const asCaseManager = (s: TestStack) => s.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
    const evidence = await storeConsentForm(east.gatewayUrl, asCaseManager(east));
    const granted = await gql(
      east.gatewayUrl,
      `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`,
      { input: { avs: PAINTER, recipients: ['AI'], categories: ['ac.entitlement'], purpose: 'cii', validUntil: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10), evidence } },
      asCaseManager(east),
    );
    expect(granted.body.errors).toBeUndefined();
    const id = granted.body.data.grantConsent.id;

    const onWest = await gql(west.gatewayUrl, ENTITLEMENT, { avs: PAINTER }, asCaseManager(west));
    expect(onWest.body.errors).toBeUndefined();
    expect(onWest.body.data.person.unemployment.entitlement.remainingDays).toBe(50);

    const revoked = await gql(east.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }`, { id }, asCaseManager(east));
    expect(revoked.body.data.revokeConsent.revokedAt).toBeTruthy();

    const next = await gql(west.gatewayUrl, ENTITLEMENT, { avs: PAINTER }, asCaseManager(west));
    expect(next.body.data.person.unemployment.entitlement).toBeNull();
    expect(next.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement' });
  });

  it('append to one hash chain, which stays valid, and each sees the other\'s entries', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gql((i % 2 ? east : west).gatewayUrl, ENTITLEMENT, { avs: PAINTER }, (i % 2 ? east : west).as({ institution: 'AC', role: 'counsellor', sub: `c${i}` })),
      ),
    );
    const verdict = await east.audit.verify();
    expect(verdict.ok).toBe(true);
    const log = await west.audit.query({ avs: PAINTER, first: 1000 });
    expect(new Set(log.filter((e) => e.subject.startsWith('c')).map((e) => e.subject)).size).toBe(10);
  });
});
