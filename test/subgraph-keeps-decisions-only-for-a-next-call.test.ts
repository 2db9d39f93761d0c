// A subgraph keeps a request's access decisions for the gateway's next call to it (aliases,
// nested entities) only when the gateway's plan makes one: the credential says how many calls
// the plan makes to that subgraph, and a request called once leaves nothing behind (a
// caseload's decisions are tens of KiB per subgraph). /metrics shows what is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_HEADER, signCredential, type CredentialClaims } from '../lib/auth/subgraph-credential.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const CLAIMS: CredentialClaims = {
  requester: { institution: 'AI', role: 'case-manager', subject: 's' },
  requestId: 'direct-1',
  purpose: 'cii',
  caseReference: 'AI-GE-2026-0815',
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

async function kept(subgraph: string): Promise<number> {
  const metrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
  const m = metrics.match(new RegExp(`ciigraph_request_access_kept\\{subgraph="${subgraph}"\\} (\\d+)`));
  if (!m) throw new Error(`no ciigraph_request_access_kept for ${subgraph}`);
  return Number(m[1]);
}

async function callUnemployment(claims: CredentialClaims) {
  const body = JSON.stringify({ query: `{ _entities(representations: [{ __typename: "Person", avs: "${PAINTER}" }]) { ... on Person { unemployment { office } } } }` });
  const res = await fetch(stack.config.subgraphUrls.unemployment, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CREDENTIAL_HEADER]: signCredential(stack.credentialKeys, claims, 'unemployment', body) },
    body,
  });
  const answer = (await res.json()) as { data?: { _entities: { unemployment: { office: string } | null }[] } };
  expect(answer.data?._entities[0]?.unemployment?.office).toBeTruthy();
}

describe('decisions kept for a next call', () => {
  it('are not kept when the plan calls the subgraph once (the gateway says so in the credential)', async () => {
    const { body } = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { unemployment { office } disability { status } } }`, { avs: PAINTER }, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' } as never));
    expect(body.data.person.unemployment.office).toBeTruthy();
    expect(await kept('unemployment')).toBe(0);
    expect(await kept('disability')).toBe(0);
  });

  it('are kept, and shared by the next call, when the credential announces more calls or does not say', async () => {
    await callUnemployment({ ...CLAIMS, requestId: 'direct-unknown' });
    expect(await kept('unemployment')).toBe(1);
    await callUnemployment({ ...CLAIMS, requestId: 'direct-two', fetches: 2 });
    await callUnemployment({ ...CLAIMS, requestId: 'direct-two', fetches: 2 });
    expect(await kept('unemployment')).toBe(2);
    const entries = (await stack.audit.query({ avs: PAINTER, first: 100 })).filter((e) => e.requestId === 'direct-two');
    // The second call reused the first call's decisions: journaled once.
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.category)).size).toBe(entries.length);
    await callUnemployment({ ...CLAIMS, requestId: 'direct-once', fetches: 1 });
    expect(await kept('unemployment')).toBe(2);
  });
});
