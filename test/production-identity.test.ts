// Production identity: tokens verified with the identity provider's public key (here a PEM
// file; test/identity-providers-jwks.test.ts has JWKS URLs) only; HS256 development tokens
// refused once a provider is configured; the start refused without real keys.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'ciigraph-idp-'));
const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicKeyFile = join(dir, 'idp.pem');
writeFileSync(publicKeyFile, idp.publicKey.export({ type: 'spki', format: 'pem' }));

const claims = { institution: 'AC', role: 'counsellor', purpose: 'cii' };
const sign = (key: KeyObject, issuer = 'https://idp.ge.ch') =>
  jwt.sign(claims, key, { algorithm: 'ES256', issuer, audience: 'ciigraph', subject: 'counsellor-7', expiresIn: 60 });
const Q = `{ person(avs: "756.9876.5432.17") { unemployment { office } } }`;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { IDENTITY_ISSUERS: JSON.stringify([{ issuer: 'https://idp.ge.ch', audience: 'ciigraph', publicKeyFile }]) } });
});
afterAll(async () => stack?.close());

describe('with an identity provider key', () => {
  it("accepts an ES256 token signed by the identity provider", async () => {
    const { status, body } = await gql(stack.gatewayUrl, Q, {}, { authorization: `Bearer ${sign(idp.privateKey)}` });
    expect(status).toBe(200);
    expect(body.data.person.unemployment.office).toBe('ORP Lausanne');
  });

  it('refuses HS256 tokens, even one signed with the public key as secret (algorithm confusion)', async () => {
    const pem = idp.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const confused = jwt.sign(claims, pem, { algorithm: 'HS256', issuer: 'https://idp.ge.ch', audience: 'ciigraph', subject: 'x', expiresIn: 60 });
    const dev = stack.token({ institution: 'AC', role: 'counsellor' });
    for (const token of [confused, dev]) {
      const { status, body } = await gql(stack.gatewayUrl, Q, {}, { authorization: `Bearer ${token}` });
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses a token of another key or another issuer', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const token of [sign(other.privateKey), sign(idp.privateKey, 'https://evil.example')]) {
      expect((await gql(stack.gatewayUrl, Q, {}, { authorization: `Bearer ${token}` })).status).toBe(401);
    }
  });
});

describe('NODE_ENV=production', () => {
  it('refuses to start without Redis, identity provider keys, credential keys and real registry URLs', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const v of ['REDIS_URL', 'CONSENT_SIGNING_KEY_FILE', 'IDENTITY_ISSUERS', 'GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE', 'UNEMPLOYMENT_REGISTRY_URL', 'SUPPLEMENTARY_BENEFITS_REGISTRY_URL']) {
      expect(message).toContain(v);
    }
  });

  it('never uses the mocks', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6390',
      IDENTITY_ISSUERS: JSON.stringify([{ issuer: 'https://idp.ge.ch', audience: 'ciigraph', publicKeyFile }]),
      GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES: publicKeyFile,
      CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key'),
      AUDIT_SIGNING_KEY_FILE: join(dir, 'audit-signing-key.pem'),
      UNEMPLOYMENT_REGISTRY_URL: 'https://plasta.example/api',
      DISABILITY_REGISTRY_URL: 'https://ai.example/api',
      SOCIAL_ASSISTANCE_REGISTRY_URL: 'https://as.example/api',
      SUPPLEMENTARY_BENEFITS_REGISTRY_URL: 'https://pc.example/api',
    });
    expect(config.useMocks).toBe(false);
  });

  it('keeps consent forms in Redis by default, or in a directory it must be given (a volume)', () => {
    const env = {
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6390',
      IDENTITY_ISSUERS: JSON.stringify([{ issuer: 'https://idp.ge.ch', audience: 'ciigraph', publicKeyFile }]),
      GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES: publicKeyFile,
      CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key'),
      AUDIT_SIGNING_KEY_FILE: join(dir, 'audit-signing-key.pem'),
      UNEMPLOYMENT_REGISTRY_URL: 'https://plasta.example/api',
      DISABILITY_REGISTRY_URL: 'https://ai.example/api',
      SOCIAL_ASSISTANCE_REGISTRY_URL: 'https://as.example/api',
      SUPPLEMENTARY_BENEFITS_REGISTRY_URL: 'https://pc.example/api',
    };
    expect(loadConfig(env).consentForms).toEqual({ store: 'redis' });
    expect(() => loadConfig({ ...env, CONSENT_FORM_STORE: 'directory' })).toThrow(/CONSENT_FORM_DIR/);
    expect(loadConfig({ ...env, CONSENT_FORM_STORE: 'directory', CONSENT_FORM_DIR: '/var/lib/ciigraph/forms' }).consentForms).toEqual({ store: 'directory', directory: '/var/lib/ciigraph/forms' });
    expect(() => loadConfig({ NODE_ENV: 'test', CONSENT_FORM_STORE: 'redis' })).toThrow(/needs redis\.url/);
  });
});

describe('variables of earlier versions', () => {
  it('stop the start, saying what replaced them, instead of being ignored', () => {
    for (const variable of ['JWT_PUBLIC_KEY_FILE', 'JWT_ISSUER', 'JWT_AUDIENCE', 'GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE']) {
      expect(() => loadConfig({ NODE_ENV: 'test', [variable]: publicKeyFile }), variable).toThrow(new RegExp(`${variable}: no longer read; .*(issuers|publicKeyFiles|DEV_TOKEN)`));
    }
  });
});
