// Who may ask, for what, in which case: the gateway authenticates every request over real HTTP
// before anything is planned. A missing or bad token is 401 UNAUTHENTICATED, an unknown
// purpose or a malformed case reference is 400 BAD_USER_INPUT, and neither reaches a registry
// or the access log. The X-Purpose / X-Case-Reference headers win over the token's claims.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSecret } from '../lib/auth/dev-issuer.ts';
import type { MemoryAuditLog } from '../lib/audit/memory.ts';
import type { AccessLogEntry } from '../lib/audit/log.ts';
import { gql, startTestStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
// The AI case manager's own file (ai.file: own mandate, no condition) and the ORP file
// (ac.registration: LPGA art. 32, needs a purpose and a case reference).
const QUERY = /* GraphQL */ `
  query Painter($avs: ID!) { person(avs: $avs) { avs disability { filedOn status } unemployment { office } } }
`;
// Values of the painter's files that must never appear in a refusal.
const PERSONAL_VALUES = ['2026-06-15', 'EARLY_INTERVENTION', PAINTER];
const NO_CALLS = { unemployment: 0, disability: 0, 'social-assistance': 0, 'supplementary-benefits': 0 };

let stack: TestStack;
let secret: Buffer;
let audit: MemoryAuditLog;
let iss: string;
let aud: string;

beforeAll(async () => {
  stack = await startTestStack();
  secret = devSecret(stack.config.auth.devSecretFile);
  audit = stack.audit as MemoryAuditLog;
  iss = stack.config.auth.issuer;
  aud = stack.config.auth.audience;
});
afterAll(async () => stack?.close());

const now = () => Math.floor(Date.now() / 1000);
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Valid-looking claims of the AI case manager, without the registered time claims. */
const CLAIMS = { sub: 'test-case-manager', institution: 'AI', role: 'case-manager' };

/** A dev-secret HS256 token with exactly the given payload (iss/aud added unless overridden). */
function signRaw(payload: Record<string, unknown>, key: jwt.Secret = secret, algorithm: jwt.Algorithm = 'HS256'): string {
  return jwt.sign({ iss, aud, iat: now(), exp: now() + 600, ...payload }, key, { algorithm });
}

function ask(headers: Record<string, string>): Promise<GraphQLResponse> {
  return gql(stack.gatewayUrl, QUERY, { avs: PAINTER }, headers);
}

/** The request is refused with this status and code, calls no registry and logs no decision. */
async function expectRefused(headers: Record<string, string>, status: number, code: string): Promise<GraphQLResponse> {
  stack.mocks!.resetCounters();
  const logged = audit.all().length;
  const res = await ask(headers);
  expect(res.status).toBe(status);
  expect(res.body.errors?.[0]?.extensions?.code).toBe(code);
  expect(res.body.data ?? null).toBeNull();
  for (const v of PERSONAL_VALUES) expect(res.text).not.toContain(v);
  expect(stack.mocks!.calls).toEqual(NO_CALLS);
  expect(audit.all().length).toBe(logged);
  return res;
}

/**
 * An authenticated request gets the painter's AI file (own mandate, no condition). Without a
 * purpose and a case reference the ORP file may be denied (FORBIDDEN), and nothing else.
 */
async function expectServed(headers: Record<string, string>) {
  const res = await ask(headers);
  expect(res.status).toBe(200);
  for (const e of res.body.errors ?? []) expect(e).toMatchObject({ path: ['person', 'unemployment'], extensions: { code: 'FORBIDDEN' } });
  expect(res.body.data.person.disability).toEqual({ filedOn: '2026-06-15', status: 'EARLY_INTERVENTION' });
  return res;
}

const validHeaders = () => ({
  ...bearer(stack.token({ institution: 'AI', role: 'case-manager' })),
  'x-purpose': 'cii',
  'x-case-reference': 'AI-GE-2026-0815',
});

describe('a request without a valid token is 401 UNAUTHENTICATED and reaches no registry', () => {
  it('the positive control: a valid dev token reads the painter’s AI file through the registries', async () => {
    stack.mocks!.resetCounters();
    const logged = audit.all().length;
    const res = await expectServed(validHeaders());
    expect(res.body.errors).toBeUndefined();
    expect(stack.mocks!.calls.disability).toBe(1);
    expect(audit.all().length).toBeGreaterThan(logged);
  });

  it('refuses a request with no Authorization header', async () => {
    await expectRefused({}, 401, 'UNAUTHENTICATED');
    await expectRefused({ 'x-purpose': 'cii', 'x-case-reference': 'AI-1' }, 401, 'UNAUTHENTICATED');
  });

  it('refuses Basic authentication', async () => {
    await expectRefused({ authorization: `Basic ${Buffer.from('case-manager:secret').toString('base64')}` }, 401, 'UNAUTHENTICATED');
  });

  it('refuses a bearer value that is not a JWT, and an empty or truncated one', async () => {
    await expectRefused(bearer('not-a-token'), 401, 'UNAUTHENTICATED');
    await expectRefused(bearer('a.b.c'), 401, 'UNAUTHENTICATED');
    await expectRefused({ authorization: 'Bearer' }, 401, 'UNAUTHENTICATED');
    const valid = stack.token({ institution: 'AI', role: 'case-manager' });
    await expectRefused(bearer(valid.slice(0, valid.lastIndexOf('.'))), 401, 'UNAUTHENTICATED');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const payload = { ...CLAIMS, iss, aud, iat: now(), exp: now() + 600 };
    const unsigned = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.`;
    await expectRefused(bearer(unsigned), 401, 'UNAUTHENTICATED');
  });

  it('refuses a dev token whose signature was tampered with (claims changed after signing)', async () => {
    const [header, , signature] = stack.token({ institution: 'AI', role: 'case-manager' }).split('.');
    const elevated = b64url(JSON.stringify({ ...CLAIMS, role: 'physician', iss, aud, iat: now(), exp: now() + 600 }));
    await expectRefused(bearer(`${header}.${elevated}.${signature}`), 401, 'UNAUTHENTICATED');
  });

  it('refuses an HS256 token signed with another secret', async () => {
    await expectRefused(bearer(signRaw(CLAIMS, randomBytes(32))), 401, 'UNAUTHENTICATED');
  });

  it('refuses RS256 and ES256 tokens signed with a random key (development accepts HS256 only)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expectRefused(bearer(signRaw(CLAIMS, rsa, 'RS256')), 401, 'UNAUTHENTICATED');
    await expectRefused(bearer(signRaw(CLAIMS, ec, 'ES256')), 401, 'UNAUTHENTICATED');
  });

  it('refuses a token signed with the gateway’s own subgraph-credential key', async () => {
    await expectRefused(bearer(signRaw(CLAIMS, stack.credentialKeys.privateKey!, 'ES256')), 401, 'UNAUTHENTICATED');
  });

  it('refuses a token that expired 30 s ago (beyond the clock tolerance)', async () => {
    await expectRefused(bearer(signRaw({ ...CLAIMS, iat: now() - 600, exp: now() - 30 })), 401, 'UNAUTHENTICATED');
  });

  it('refuses a token that is valid only 60 s from now (nbf)', async () => {
    await expectRefused(bearer(signRaw({ ...CLAIMS, nbf: now() + 60 })), 401, 'UNAUTHENTICATED');
  });

  it('refuses a token of another issuer', async () => {
    await expectRefused(bearer(signRaw({ ...CLAIMS, iss: 'someone-else' })), 401, 'UNAUTHENTICATED');
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(bearer(signRaw({ ...CLAIMS, aud: 'another-service' })), 401, 'UNAUTHENTICATED');
  });

  it('refuses a role that does not exist at the institution (physician at AC) and an unknown role', async () => {
    await expectRefused(bearer(signRaw({ ...CLAIMS, institution: 'AC', role: 'physician' })), 401, 'UNAUTHENTICATED');
    await expectRefused(bearer(signRaw({ ...CLAIMS, role: 'janitor' })), 401, 'UNAUTHENTICATED');
  });

  it('refuses a claim set without institution, with an unknown institution, or without subject', async () => {
    const { institution: _institution, ...noInstitution } = CLAIMS;
    await expectRefused(bearer(signRaw(noInstitution)), 401, 'UNAUTHENTICATED');
    await expectRefused(bearer(signRaw({ ...CLAIMS, institution: 'XX' })), 401, 'UNAUTHENTICATED');
    const { sub: _sub, ...noSubject } = CLAIMS;
    await expectRefused(bearer(signRaw(noSubject)), 401, 'UNAUTHENTICATED');
  });

  it('says UNAUTHENTICATED in the error, not a stack trace', async () => {
    const res = await expectRefused(bearer(signRaw({ ...CLAIMS, iss: 'someone-else' })), 401, 'UNAUTHENTICATED');
    expect(res.text).not.toMatch(/\bat .*\.ts:\d+/);
  });
});

describe('expiry and not-before are checked with a small clock tolerance', () => {
  it('accepts a token that expired 2 s ago', async () => {
    await expectServed({ ...bearer(signRaw({ ...CLAIMS, iat: now() - 600, exp: now() - 2 })), 'x-purpose': 'cii' });
  });

  it('accepts a token whose nbf is 2 s ahead', async () => {
    await expectServed({ ...bearer(signRaw({ ...CLAIMS, nbf: now() + 2 })), 'x-purpose': 'cii' });
  });
});

describe('an unknown purpose or a malformed case reference is 400 BAD_USER_INPUT and reaches no registry', () => {
  it('refuses an unknown purpose in X-Purpose', async () => {
    const res = await expectRefused({ ...validHeaders(), 'x-purpose': 'shopping' }, 400, 'BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain('shopping');
  });

  it('refuses an unknown purpose in the token’s purpose claim', async () => {
    const token = stack.token({ institution: 'AI', role: 'case-manager', purpose: 'shopping', case: 'AI-1' });
    await expectRefused(bearer(token), 400, 'BAD_USER_INPUT');
  });

  it('refuses a case reference of 300 characters', async () => {
    await expectRefused({ ...validHeaders(), 'x-case-reference': 'A'.repeat(300) }, 400, 'BAD_USER_INPUT');
  });

  it('refuses a case reference with a forbidden character', async () => {
    await expectRefused({ ...validHeaders(), 'x-case-reference': 'AI-<script>' }, 400, 'BAD_USER_INPUT');
    await expectRefused({ ...validHeaders(), 'x-case-reference': 'AI;1' }, 400, 'BAD_USER_INPUT');
  });

  it('refuses a malformed case reference in the token’s case claim', async () => {
    const token = stack.token({ institution: 'AI', role: 'case-manager', purpose: 'cii', case: 'AI-<1>' });
    await expectRefused(bearer(token), 400, 'BAD_USER_INPUT');
  });
});

describe('the headers win over the token’s claims; the claims apply where a header is absent', () => {
  /** The access-log entries the request wrote. */
  async function loggedBy(headers: Record<string, string>): Promise<AccessLogEntry[]> {
    const before = audit.all().length;
    await expectServed(headers);
    const entries = audit.all().slice(before);
    expect(entries.length).toBeGreaterThan(0);
    return entries;
  }
  const claimed = () =>
    bearer(stack.token({ institution: 'AI', role: 'case-manager', sub: 'cm-7', purpose: 'placement', case: 'CLAIM-1' }));

  it('X-Purpose and X-Case-Reference override the purpose and case claims', async () => {
    const entries = await loggedBy({ ...claimed(), 'x-purpose': 'cii', 'x-case-reference': 'HDR-1' });
    for (const e of entries) expect(e).toMatchObject({ purpose: 'cii', caseReference: 'HDR-1', subject: 'cm-7', institution: 'AI' });
  });

  it('without the headers, the token’s purpose and case claims are logged', async () => {
    const entries = await loggedBy(claimed());
    for (const e of entries) expect(e).toMatchObject({ purpose: 'placement', caseReference: 'CLAIM-1', subject: 'cm-7' });
  });

  it('each header overrides its own claim only', async () => {
    const purposeOnly = await loggedBy({ ...claimed(), 'x-purpose': 'early-intervention' });
    for (const e of purposeOnly) expect(e).toMatchObject({ purpose: 'early-intervention', caseReference: 'CLAIM-1' });
    const caseOnly = await loggedBy({ ...claimed(), 'x-case-reference': 'HDR-2' });
    for (const e of caseOnly) expect(e).toMatchObject({ purpose: 'placement', caseReference: 'HDR-2' });
  });

  it('neither headers nor claims: no purpose and no case reference are logged', async () => {
    const entries = await loggedBy(bearer(stack.token({ institution: 'AI', role: 'case-manager' })));
    for (const e of entries) expect(e.purpose).toBeNull();
    // Naming no case, a decision that needs one is made under the person's own open case, and journals it.
    for (const e of entries) expect([null, 'AI-GE-2026-0815']).toContain(e.caseReference);
  });
});

describe('after all these refusals', () => {
  it('a normal valid request still succeeds', async () => {
    stack.mocks!.resetCounters();
    const res = await expectServed(validHeaders());
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.person.unemployment).not.toBeNull();
    expect(stack.mocks!.calls.disability).toBe(1);
    expect(stack.mocks!.calls.unemployment).toBe(1);
  });
});
