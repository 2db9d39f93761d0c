// Two stacks on one Redis, as two instances of a deployment: a case opened on one releases on
// the other, and closed on one releases nothing on the other from the very next request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PARTIAL_PENSION = '756.4444.5555.62';
const REF = 'ORP-GE-2026-7002';
const AI_FILE = `query($avs: ID!) { person(avs: $avs) { disability { filedOn } } }`;

let redis: RedisServerHandle;
let east: TestStack;
let west: TestStack;
beforeAll(async () => {
  redis = await startRedisServer();
  const env = {
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'shared:',
    CONSENT_SIGNING_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'ciigraph-cases-')), 'consent-signing-key'),
  };
  east = await startTestStack({ env });
  west = await startTestStack({ env });
});
afterAll(async () => {
  await east?.close();
  await west?.close();
  await redis?.stop();
});

const counsellor = (s: TestStack, caseReference?: string) => s.as({ institution: 'AC', role: 'counsellor', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });
const readOn = (s: TestStack) => gql(s.gatewayUrl, AI_FILE, { avs: PARTIAL_PENSION }, counsellor(s, REF));

describe('a case in the shared repertory', () => {
  it('opened on one instance releases on the other; closed on one, the other denies the next request', async () => {
    expect((await readOn(west)).body.errors?.[0]?.extensions?.reason).toBe('NO_OPEN_CASE');

    const opened = await gql(east.gatewayUrl, `mutation($input: OpenCaseInput!) { openCase(input: $input) { caseReference } }`, { input: { avs: PARTIAL_PENSION, caseReference: REF } }, counsellor(east));
    expect(opened.body.errors).toBeUndefined();

    const released = await readOn(west);
    expect(released.body.errors).toBeUndefined();
    expect(released.body.data.person.disability.filedOn).toBeTruthy();

    const closed = await gql(west.gatewayUrl, `mutation($avs: ID!, $ref: String!) { closeCase(avs: $avs, caseReference: $ref) { closedOn } }`, { avs: PARTIAL_PENSION, ref: REF }, counsellor(west));
    expect(closed.body.errors).toBeUndefined();

    const denied = await readOn(east);
    expect(denied.body.data.person.disability).toBeNull();
    expect(denied.body.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FORBIDDEN', category: 'ai.file', reason: 'NO_OPEN_CASE' })]);
  });
});
