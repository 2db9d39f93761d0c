// Hostile operations are refused at the gateway before any planning or registry call: too
// deep, too many aliases, too many tokens, too costly, several operations, batched, too
// large. Each refusal is followed by a normal query that must still succeed.
import { newKeyPairPem } from '../lib/audit/signing-keys.ts';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { startStack } from '../bin/stack.ts';
import { loadConfig } from '../lib/config.ts';
import { operationCost } from '../gateway/limits/max-cost.ts';
import { CASELOAD } from './support/queries.ts';
import { personsWithEveryFile } from './support/persons.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
let stack: TestStack;
let headers: Record<string, string>;
beforeAll(async () => {
  stack = await startTestStack();
  headers = stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-1' });
});
afterAll(async () => stack?.close());
beforeEach(() => stack.mocks!.resetCounters());

const NORMAL = `query($avs: ID!) { person(avs: $avs) { disability { status } } }`;
async function stillServes() {
  const { body } = await gql(stack.gatewayUrl, NORMAL, { avs: PAINTER }, headers);
  expect(body.data.person.disability.status).toBe('EARLY_INTERVENTION');
}
async function refused(query: string, variables: Record<string, unknown>, limit: string) {
  stack.mocks!.resetCounters();
  const { status, body } = await gql(stack.gatewayUrl, query, variables, headers);
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  // Validation rules answer with Apollo's GRAPHQL_VALIDATION_FAILED, the cost check with BAD_USER_INPUT; both name the limit.
  expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(body.errors?.[0]?.extensions?.code);
  expect(body.errors?.[0]?.extensions?.limit).toBe(limit);
  expect(body.data ?? null).toBeNull();
  expect(Object.values(stack.mocks!.calls).every((n) => n === 0)).toBe(true);
  await stillServes();
}

describe('operation limits', () => {
  it('refuses an operation deeper than MAX_DEPTH (the classic: nested introspection), through fragments too', async () => {
    let ofType = 'name';
    for (let i = 0; i < 12; i++) ofType = `ofType { ${ofType} }`;
    await refused(`query { __schema { types { fields { type { ${ofType} } } } } }`, {}, 'depth');
    // The same depth hidden in fragments.
    const fragments = Array.from({ length: 12 }, (_, i) => `fragment F${i} on __Type { ofType { ${i < 11 ? `...F${i + 1}` : 'name'} } }`).join(' ');
    await refused(`query { __schema { types { ...F0 } } } ${fragments}`, {}, 'depth');
    // The deepest real person query is well inside the limit.
    expect((await gql(stack.gatewayUrl, `query { person(avs: "${PAINTER}") { disability { measures { kind } } } }`, {}, headers)).body.errors).toBeUndefined();
  });

  it('refuses more aliases than MAX_ALIASES', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: person(avs: "${PAINTER}") { avs }`).join(' ');
    await refused(`query { ${aliases} }`, {}, 'aliases');
  });

  it('refuses more tokens than MAX_TOKENS', async () => {
    const fields = Array.from({ length: 5000 }, () => 'avs').join(' ');
    const { body } = await gql(stack.gatewayUrl, `query { person(avs: "${PAINTER}") { ${fields} } }`, {}, headers);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(body.errors?.[0]?.message).toMatch(/contains more th\w+ 4000 tokens/);
    await stillServes();
  });

  it('refuses a costly operation but serves a full caseload of 200', async () => {
    const avs = personsWithEveryFile(200, 400_000_000);
    const full = await gql(stack.gatewayUrl, CASELOAD, { avs }, headers);
    expect(full.status).toBe(200);
    expect(full.body.data.persons).toHaveLength(200);
    stack.mocks!.resetCounters();
    const aliased = `query($avs: [ID!]!) { a: persons(avs: $avs) { ...Files } b: persons(avs: $avs) { ...Files } c: persons(avs: $avs) { ...Files } } ${CASELOAD.slice(CASELOAD.indexOf('fragment'))}`;
    await refused(aliased, { avs }, 'cost');
  });

  it('computes the cost from the caseload size given in variables or inline', () => {
    const doc = parse(`query($avs: [ID!]!) { persons(avs: $avs) { avs unemployment { office } } p: persons(avs: ["1", "2"]) { avs } }`);
    const op = doc.definitions[0] as never;
    expect(operationCost(doc, op, { avs: Array(10).fill('x') })).toBe(10 * (1 + 1 + 2) + 2 * (1 + 1));
  });

  it('refuses a document with several operations, and batched requests', async () => {
    const { body } = await gql(stack.gatewayUrl, `query A { person(avs: "${PAINTER}") { avs } } query B { person(avs: "${PAINTER}") { avs } }`, {}, headers);
    expect(body.errors?.[0]?.extensions?.code).toBeDefined();
    const batch = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify([{ query: NORMAL, variables: { avs: PAINTER } }, { query: NORMAL, variables: { avs: PAINTER } }]),
    });
    expect(batch.status).toBe(400);
    expect(await batch.text()).not.toContain('EARLY_INTERVENTION');
    await stillServes();
  });

  it('refuses a body larger than MAX_BODY_BYTES with 413', async () => {
    const res = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: NORMAL, variables: { avs: PAINTER, pad: 'x'.repeat(200_000) } }),
    });
    expect(res.status).toBe(413);
    await stillServes();
  });

  it('never sends stack traces, and masks unexpected errors', async () => {
    const { text } = await gql(stack.gatewayUrl, `query { person(avs: "nope") { avs } }`, {}, headers);
    expect(text).not.toMatch(/stacktrace|at .*\.ts:\d+/);
  });
});

describe('in production', () => {
  it('refuses introspection and gives no field suggestions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ciigraph-prod-'));
    const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'idp.pem'), idp.publicKey.export({ type: 'spki', format: 'pem' }));
    const issuers = JSON.stringify([{ issuer: 'idp', audience: 'ciigraph', publicKeyFile: join(dir, 'idp.pem') }]);
    writeFileSync(join(dir, 'audit.pem'), newKeyPairPem().privateKey, { mode: 0o600 });
    const base = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', IDENTITY_ISSUERS: issuers, CONSENT_SIGNING_KEY_FILE: join(dir, 'k'), AUDIT_SIGNING_KEY_FILE: join(dir, 'audit.pem') });
    // Production settings on a local stack (in-memory stores and mocks stand in for Redis and registries).
    const prod = await startStack({ config: { ...base, env: 'production' }, ephemeralPorts: true });
    try {
      const token = jwt.sign({ institution: 'AC', role: 'counsellor' }, idp.privateKey, { algorithm: 'ES256', issuer: 'idp', audience: 'ciigraph', subject: 's', expiresIn: 60 });
      const h = { authorization: `Bearer ${token}` };
      const intro = await gql(prod.gatewayUrl, `{ __schema { types { name } } }`, {}, h);
      expect(intro.body.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await gql(prod.gatewayUrl, `{ persn(avs: "${PAINTER}") { avs } }`, {}, h);
      expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
      const devTypo = await gql(stack.gatewayUrl, `{ persn(avs: "${PAINTER}") { avs } }`, {}, headers);
      expect(devTypo.body.errors?.[0]?.message).toMatch(/Did you mean/);
    } finally {
      await prod.close();
    }
  });
});
