// Requester tokens from the canton's identity providers, verified against their JWKS URLs over
// real HTTP: several issuers, each with its audience and claim mapping (a Keycloak realm whose
// subject is a UUID and whose roles come as a list; another provider with flat claims and an
// RFC 9068 client_id); exp required and a maximum lifetime; a key id not yet known fetches the
// key set again, one fetch for a burst and at a bounded rate; a key rotation during load costs
// no request; the calling client reaches the subgraphs with the requester.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTo } from '../lib/log.ts';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider.ts';
import { runLoad } from './support/load.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const QUERY = `query($avs: ID!) { person(avs: $avs) { disability { status } } }`;

let keycloak: IdentityProvider;
let other: IdentityProvider;
/** A provider the gateway is not configured for. */
let stranger: IdentityProvider;
let stack: TestStack;
const lines: string[] = [];

/** Claims as the Keycloak realm writes them: a UUID subject, the institution nested, roles as a list. */
const keycloakClaims = (overrides: Record<string, unknown> = {}) => ({
  sub: '0b6f6a3e-3c55-4c4e-9a59-0c5a0e1f2d3c',
  preferred_username: 'cm.dupont',
  aud: 'ciigraph-gateway',
  azp: 'case-platform-ge',
  ciigraph: { institution: 'AI' },
  realm_access: { roles: ['offline_access', 'case-manager', 'uma_authorization'] },
  canton: 'GE',
  ...overrides,
});

const ask = async (token: string, headers: Record<string, string> = {}) => gql(stack.gatewayUrl, QUERY, { avs: PAINTER }, { authorization: `Bearer ${token}`, ...headers });

beforeAll(async () => {
  keycloak = await startIdentityProvider({ alg: 'RS256' });
  other = await startIdentityProvider({ alg: 'ES256', issuerPath: '/vd' });
  stranger = await startIdentityProvider({ alg: 'RS256', issuerPath: '/elsewhere' });
  const issuers = [
    {
      issuer: keycloak.issuer,
      audience: 'ciigraph-gateway',
      jwksUrl: keycloak.jwksUrl,
      algorithms: ['RS256'],
      claims: { subject: 'preferred_username', institution: ['ciigraph', 'institution'], role: ['realm_access', 'roles'], client: 'azp' },
    },
    { issuer: other.issuer, audience: ['ciigraph', 'ciigraph-vd'], jwksUrl: other.jwksUrl, algorithms: ['ES256'], maxTokenLifetimeS: 600 },
  ];
  logTo(new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) }), 'info');
  stack = await startTestStack({ env: { IDENTITY_ISSUERS: JSON.stringify(issuers), JWKS_MIN_REFETCH_INTERVAL_S: '1' } });
});
afterAll(async () => {
  await stack?.close();
  await keycloak?.close();
  await other?.close();
  await stranger?.close();
});

describe('several identity providers, each with its claim mapping', () => {
  it("accepts the Keycloak realm's token: subject, institution and the one policy role from its list, canton and client mapped", async () => {
    const { status, body } = await ask(await keycloak.sign(keycloakClaims()), { 'x-purpose': 'cii' });
    expect(status).toBe(200);
    expect(body.data.person.disability.status).toBe('EARLY_INTERVENTION');
  });

  it('carries the calling client to the subgraphs with the requester (their request log lines name it)', async () => {
    lines.length = 0;
    const { status, headers } = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await keycloak.sign(keycloakClaims())}` },
      body: JSON.stringify({ query: QUERY, variables: { avs: PAINTER } }),
    });
    expect(status).toBe(200);
    const requestId = headers.get('x-request-id');
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'graphql request' && l.requestId === requestId);
    expect(logged.map((l) => l.service)).toEqual(expect.arrayContaining(['gateway', 'disability']));
    for (const l of logged) expect(l).toMatchObject({ client: 'case-platform-ge', institution: 'AI', role: 'case-manager' });
  });

  it("accepts the other provider's token with its own flat claims, audience and RFC 9068 client_id", async () => {
    const token = await other.sign({ sub: 'pc-7', aud: 'ciigraph-vd', institution: 'AI', role: 'case-manager', client_id: 'dossier-vd' });
    expect((await ask(token)).status).toBe(200);
  });

  it.each([
    ['a role list with no role of the policy at that institution', () => keycloak.sign(keycloakClaims({ realm_access: { roles: ['offline_access', 'counsellor'] } }))],
    ['a role list with two policy roles (ambiguous)', () => keycloak.sign(keycloakClaims({ realm_access: { roles: ['case-manager', 'physician'] } }))],
    ['no institution where the mapping reads it', () => keycloak.sign(keycloakClaims({ ciigraph: {} }))],
    ['a canton that is not one', () => keycloak.sign(keycloakClaims({ canton: 'Genève' }))],
    ['another audience', () => keycloak.sign(keycloakClaims({ aud: 'ciigraph' }))],
    ['no exp', () => keycloak.sign(keycloakClaims(), { withoutExp: true })],
    ['a lifetime above the maximum (1 h by default)', () => keycloak.sign(keycloakClaims(), { ttlS: 3601 })],
    ["a lifetime above this provider's own maximum (10 min)", () => other.sign({ sub: 'x', aud: 'ciigraph', institution: 'AI', role: 'case-manager' }, { ttlS: 601 })],
    ["the Keycloak realm's issuer and claims, signed with the other provider's key", () => other.sign(keycloakClaims(), { issuer: keycloak.issuer })],
    ["the Keycloak realm's claims signed with its own key, under a kid naming the other key", () => keycloak.sign(keycloakClaims(), { header: { kid: other.currentKid } })],
    ['an issuer that is not configured', () => stranger.sign(keycloakClaims())],
  ])('refuses %s (401 UNAUTHENTICATED)', async (_, token) => {
    const { status, body } = await ask(await token());
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('keys fetched again on an unknown kid, at a bounded rate', () => {
  it('a burst of tokens naming unknown kids costs one or two fetches of the key set, not one each', async () => {
    for (let burst = 1; burst <= 2; burst++) {
      const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => keycloak.sign(keycloakClaims(), { header: { kid: `nobody-${burst}-${i}` } })));
      const before = keycloak.fetches;
      const answers = await Promise.all(tokens.map(async (t) => (await ask(t)).status));
      expect(answers).toEqual(Array(30).fill(401));
      // The callers that arrived before a fetch started share it; the later ones share the next.
      expect(keycloak.fetches - before, `burst ${burst}`).toBeGreaterThanOrEqual(1);
      expect(keycloak.fetches - before, `burst ${burst}`).toBeLessThanOrEqual(2);
    }
  });

  it('a key set that cannot be fetched keeps the keys already known in use', async () => {
    keycloak.failing = true;
    try {
      // An unknown kid now asks for a fetch that fails...
      expect((await ask(await keycloak.sign(keycloakClaims(), { header: { kid: 'unknown' } }))).status).toBe(401);
      // ...and tokens of the known key are still accepted.
      expect((await ask(await keycloak.sign(keycloakClaims()))).status).toBe(200);
    } finally {
      keycloak.failing = false;
    }
  });

  it('a key rotation during load costs no request: the new kid is fetched as soon as a token names it', async () => {
    const oldKid = keycloak.currentKid;
    let rotated = false;
    let retired = false;
    const { statuses, results } = await runLoad({ workers: 4, durationMs: 50_000, maxRequests: 240 }, async (i) => {
      // A new token each time (a fresh jti), so every request is really verified, not answered from the cache.
      if (i === 60 && !rotated) {
        rotated = true;
        await keycloak.rotate();
      }
      if (i === 160 && rotated && !retired) {
        retired = true;
        keycloak.retire(oldKid);
      }
      const token = await keycloak.sign(keycloakClaims());
      const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
      const { status } = await ask(token);
      return { status, kid };
    });
    expect(rotated && retired).toBe(true);
    expect([...statuses.entries()]).toEqual([[200, results.length]]);
    // Both keys served: the old before the rotation, the new after it.
    expect(new Set(results.map((r) => r.kid)).size).toBe(2);
  }, 60_000);
});

describe('readiness', () => {
  it("names an identity provider whose keys are not known, and is 503 when none is", async () => {
    const dead = await startIdentityProvider();
    await dead.close();
    const unreachable = await startTestStack({ env: { IDENTITY_ISSUERS: JSON.stringify([{ issuer: dead.issuer, audience: 'ciigraph', jwksUrl: dead.jwksUrl }]) } });
    try {
      const res = await fetch(`${unreachable.adminUrl}/readyz`);
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.identity).toEqual({ [dead.issuer]: 'no keys' });
      expect(body.degraded.join('\n')).toContain(dead.issuer);
    } finally {
      await unreachable.close();
    }
  });
});
