// A subgraph called directly, without the gateway's credential for that very subgraph and
// that very request body, releases nothing (CONTRACT.md section 4): each of the five
// subgraphs refuses every forged credential with 401 UNAUTHENTICATED, before any registry call
// or access decision, and accepts the gateway's genuine credential (so the refusals are not
// vacuous). A genuine credential captured from one call carries no other query.
import { createHash, createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryAuditLog } from '../lib/audit/memory.ts';
import { CREDENTIAL_HEADER, ephemeralCredentialKeys, signCredential, type CredentialClaims } from '../lib/auth/subgraph-credential.ts';
import { SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const SELECTION: Record<SubgraphName, string> = {
  unemployment: 'unemployment { office }',
  disability: 'disability { status }',
  'social-assistance': 'socialAssistance { center }',
  'supplementary-benefits': 'supplementaryBenefits { monthlyAmount }',
  consent: 'consents { id }',
};
const entitiesQuery = (name: SubgraphName) =>
  `{ _entities(representations: [{ __typename: "Person", avs: "${PAINTER}" }]) { ... on Person { __typename ${SELECTION[name]} } } }`;
/** The exact body callSubgraph sends to a subgraph (credentials are made for it). */
const bodyOf = (name: SubgraphName) => JSON.stringify({ query: entitiesQuery(name) });
const NO_CALLS = { unemployment: 0, disability: 0, 'social-assistance': 0, 'supplementary-benefits': 0 };
const CLAIMS: CredentialClaims = {
  requester: { institution: 'AI', role: 'case-manager', subject: 's' },
  requestId: 'r1',
  purpose: 'cii',
  caseReference: 'AI-GE-2026-0815',
};
const ISSUER = 'ciigraph-gateway';
const audience = (name: string) => `ciigraph-subgraph:${name}`;
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

let stack: TestStack;
let audit: MemoryAuditLog;

beforeAll(async () => {
  stack = await startTestStack();
  audit = stack.audit as MemoryAuditLog;
});
afterAll(async () => stack?.close());

interface Raw {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
  text: string;
}

/** POST the _entities query straight to a subgraph, with the given headers. */
async function callSubgraph(name: SubgraphName, headers: Record<string, string>, body?: string): Promise<Raw> {
  const res = await fetch(stack.config.subgraphUrls[name], {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body ?? bodyOf(name),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

const other = (name: SubgraphName): SubgraphName => SUBGRAPHS[(SUBGRAPHS.indexOf(name) + 1) % SUBGRAPHS.length]!;

/** Every forged context, by what it is, as the headers it sends to subgraph `name`. */
const FORGED: Record<string, (name: SubgraphName) => Record<string, string>> = {
  'no credential header': () => ({}),
  'a garbage credential': () => ({ [CREDENTIAL_HEADER]: 'garbage' }),
  'an empty credential': () => ({ [CREDENTIAL_HEADER]: '' }),
  'a credential signed with another ES256 key': (name) => ({
    [CREDENTIAL_HEADER]: signCredential(ephemeralCredentialKeys(), CLAIMS, name, bodyOf(name)),
  }),
  "the gateway's key, but another subgraph's audience": (name) => ({
    [CREDENTIAL_HEADER]: signCredential(stack.credentialKeys, CLAIMS, other(name), bodyOf(name)),
  }),
  "the gateway's key, but expired a minute ago": (name) => ({
    [CREDENTIAL_HEADER]: jwt.sign({ ...CLAIMS, bodySha256: sha256(bodyOf(name)), iat: now() - 120, exp: now() - 60 }, stack.credentialKeys.privateKey, {
      algorithm: 'ES256',
      keyid: stack.credentialKeys.kid,
      issuer: ISSUER,
      audience: audience(name),
    }),
  }),
  "the gateway's key, but another issuer": (name) => ({
    [CREDENTIAL_HEADER]: jwt.sign({ ...CLAIMS, bodySha256: sha256(bodyOf(name)) }, stack.credentialKeys.privateKey, {
      algorithm: 'ES256',
      keyid: stack.credentialKeys.kid,
      issuer: 'ciigraph-dev',
      audience: audience(name),
      expiresIn: 60,
    }),
  }),
  "the requester's own user token (HS256 dev token)": () => ({
    [CREDENTIAL_HEADER]: stack.token({ institution: 'AI', role: 'case-manager', purpose: 'cii', case: 'AI-GE-2026-0815' }),
  }),
  "the requester's user token as a bearer token": () => ({
    authorization: `Bearer ${stack.token({ institution: 'AI', role: 'case-manager', purpose: 'cii', case: 'AI-GE-2026-0815' })}`,
  }),
  "HS256 keyed with the gateway's public key PEM (algorithm confusion)": (name) => {
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: stack.credentialKeys.kid }));
    const payload = b64url(JSON.stringify({ ...CLAIMS, iss: ISSUER, aud: audience(name), iat: now(), exp: now() + 60, bodySha256: sha256(bodyOf(name)) }));
    const pem = stack.credentialKeys.publicKey.export({ type: 'spki', format: 'pem' });
    const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    return { [CREDENTIAL_HEADER]: `${header}.${payload}.${signature}` };
  },
  'an unsigned credential (alg: none)': (name) => {
    const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT', kid: stack.credentialKeys.kid }));
    const payload = b64url(JSON.stringify({ ...CLAIMS, iss: ISSUER, aud: audience(name), iat: now(), exp: now() + 60, bodySha256: sha256(bodyOf(name)) }));
    return { [CREDENTIAL_HEADER]: `${header}.${payload}.` };
  },
  // Captured from a call that asked for something else: it carries no other query.
  "the gateway's genuine credential, captured from a call with another body": (name) => ({
    [CREDENTIAL_HEADER]: signCredential(stack.credentialKeys, CLAIMS, name, JSON.stringify({ query: `{ _entities(representations: []) { __typename } }` })),
  }),
};

describe.each(SUBGRAPHS)('subgraph %s called directly', (name) => {
  it.each(Object.keys(FORGED))('refuses %s with 401 UNAUTHENTICATED, no registry call and no access-log entry', async (forged) => {
    stack.mocks!.resetCounters();
    const logged = audit.all().length;
    const res = await callSubgraph(name, FORGED[forged]!(name));
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data ?? null).toBeNull();
    expect(res.text).not.toContain(PAINTER);
    expect(stack.mocks!.calls).toEqual(NO_CALLS);
    expect(audit.all().length).toBe(logged);
  });

  it("accepts the gateway's genuine credential for this subgraph (positive control)", async () => {
    stack.mocks!.resetCounters();
    const logged = audit.all().length;
    const res = await callSubgraph(name, { [CREDENTIAL_HEADER]: signCredential(stack.credentialKeys, CLAIMS, name, bodyOf(name)) });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities).toEqual([expect.objectContaining({ __typename: 'Person' })]);
    // The request went through: its access decision was logged, for this subgraph and request.
    const entries = audit.all().slice(logged);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e).toMatchObject({ subgraph: name, requestId: 'r1', avs: PAINTER, institution: 'AI' });
    if (name !== 'consent') expect(stack.mocks!.calls[name]).toBe(1);
  });

  it('refuses a genuine credential naming a purpose the policy does not know (400, nothing released)', async () => {
    stack.mocks!.resetCounters();
    const logged = audit.all().length;
    const res = await callSubgraph(name, { [CREDENTIAL_HEADER]: signCredential(stack.credentialKeys, { ...CLAIMS, purpose: 'shopping' }, name, bodyOf(name)) });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.data ?? null).toBeNull();
    expect(stack.mocks!.calls).toEqual(NO_CALLS);
    expect(audit.all().length).toBe(logged);
  });
});
