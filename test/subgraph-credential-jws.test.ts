// The gateway's subgraph credential, signed and checked with node:crypto, is the standard
// ES256 JWT jsonwebtoken makes and reads (either side can be swapped), and its check refuses
// what jsonwebtoken refused and a little more: any header but {"alg":"ES256","typ":"JWT"},
// a changed payload or signature, a signature in another encoding, a key that is not P-256,
// and claims out of bounds (issuer, audience, expiry with 5 s tolerance, iat, lifetime).
// test/forged-subgraph-credentials.test.ts proves the same refusals end to end.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { credentialKeysFromPem, ephemeralCredentialKeys, signCredential, verifyCredential, type CredentialClaims } from '../lib/auth/subgraph-credential.ts';

const keys = ephemeralCredentialKeys();
const SUBGRAPH = 'disability';
const ISSUER = 'ciigraph-gateway';
const AUDIENCE = `ciigraph-subgraph:${SUBGRAPH}`;
const CLAIMS: CredentialClaims = {
  requester: { institution: 'AI', role: 'case-manager', subject: 's' },
  requestId: 'r1',
  purpose: 'cii',
  caseReference: 'AI-1',
};
const now = () => Math.floor(Date.now() / 1000);
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const ES256 = { alg: 'ES256', typ: 'JWT' };

/** A valid payload for SUBGRAPH, with overrides (undefined removes a claim). */
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const p: Record<string, unknown> = { ...CLAIMS, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 60, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete p[k];
  return p;
}

/** A compact JWS with any header and payload, signed with an ECDSA key (raw r‖s unless `der`). */
function forge(header: unknown, body: unknown, key: KeyObject = keys.privateKey, der = false): string {
  const input = `${b64url(header)}.${b64url(body)}`;
  return `${input}.${sign('sha256', Buffer.from(input), der ? key : { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const refused = (token: string) => expect(() => verifyCredential(keys, token, SUBGRAPH)).toThrow();

describe('the same JWT format as jsonwebtoken', () => {
  it('jsonwebtoken verifies what the gateway signs (ES256, issuer, audience, 60 s)', () => {
    const token = signCredential(keys, CLAIMS, SUBGRAPH);
    const decoded = jwt.verify(token, keys.publicKey, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE }) as jwt.JwtPayload;
    expect(jwt.decode(token, { complete: true })?.header).toEqual(ES256);
    expect(decoded).toMatchObject(CLAIMS);
    expect(decoded.exp! - decoded.iat!).toBe(60);
  });

  it('a subgraph accepts a credential jsonwebtoken signed, and returns exactly the credential claims', () => {
    const token = jwt.sign(CLAIMS, keys.privateKey, { algorithm: 'ES256', issuer: ISSUER, audience: AUDIENCE, expiresIn: 60 });
    expect(verifyCredential(keys, token, SUBGRAPH)).toEqual(CLAIMS);
  });

  it('a hand-made token with the pinned header and valid claims verifies (so the refusals below are not vacuous)', () => {
    expect(verifyCredential(keys, forge(ES256, payload()), SUBGRAPH)).toEqual(CLAIMS);
  });
});

describe('the header is pinned to {"alg":"ES256","typ":"JWT"}', () => {
  it.each([
    ['no typ', { alg: 'ES256' }],
    ['the same members in another order', { typ: 'JWT', alg: 'ES256' }],
    ['an extra kid', { ...ES256, kid: 'gateway' }],
    ['alg ES384', { alg: 'ES384', typ: 'JWT' }],
    ['alg none', { alg: 'none', typ: 'JWT' }],
    ['alg HS256', { alg: 'HS256', typ: 'JWT' }],
  ])('refuses %s, even with a valid signature of the gateway key', (_, header) => {
    refused(forge(header, payload()));
  });

  it('refuses tokens jsonwebtoken makes with other algorithms and keys (ES384 on P-384, RS256, PS256)', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const opts = { issuer: ISSUER, audience: AUDIENCE, expiresIn: 60 };
    refused(jwt.sign(CLAIMS, p384, { ...opts, algorithm: 'ES384' }));
    refused(jwt.sign(CLAIMS, rsa, { ...opts, algorithm: 'RS256' }));
    refused(jwt.sign(CLAIMS, rsa, { ...opts, algorithm: 'PS256' }));
  });
});

describe('the signature covers the token as sent', () => {
  const genuine = () => signCredential(keys, CLAIMS, SUBGRAPH);

  it('refuses a payload changed after signing', () => {
    const [header, , signature] = genuine().split('.');
    refused(`${header}.${b64url(payload({ requester: { ...CLAIMS.requester, role: 'dpo' } }))}.${signature}`);
  });

  it('refuses a truncated, extended, missing or other-key signature, and a fourth part', () => {
    const token = genuine();
    refused(token.slice(0, -2));
    refused(`${token}AA`);
    refused(token.slice(0, token.lastIndexOf('.') + 1));
    refused(`${token}.x`);
    refused(forge(ES256, payload(), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
  });

  it('refuses a non-canonical base64url spelling of the genuine signature', () => {
    const token = genuine();
    // 64 bytes in 86 characters: the last one carries 4 unused bits, which base64url decoding ignores.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) + 1]}`;
    const signature = (t: string) => Buffer.from(t.split('.')[2]!, 'base64url');
    expect(signature(spelled)).toEqual(signature(token));
    refused(spelled);
  });

  it('refuses a DER-encoded ECDSA signature (ES256 is r‖s)', () => {
    refused(forge(ES256, payload(), keys.privateKey, true));
  });
});

describe('the claims are checked', () => {
  it.each([
    ['another issuer', { iss: 'ciigraph-dev' }],
    ['another subgraph as audience', { aud: 'ciigraph-subgraph:consent' }],
    ['the audience as an array', { aud: [AUDIENCE] }],
    ['expired 6 s ago (beyond the 5 s tolerance)', { iat: now() - 66, exp: now() - 6 }],
    ['no exp', { exp: undefined }],
    ['no iat', { iat: undefined }],
    ['no iss', { iss: undefined }],
    ['an iat 60 s ahead', { iat: now() + 60, exp: now() + 120 }],
    ['a lifetime of an hour', { exp: now() + 3600 }],
    ['an nbf 60 s ahead', { nbf: now() + 60 }],
    ['an unknown institution', { requester: { ...CLAIMS.requester, institution: 'XX' } }],
    ['no request id', { requestId: undefined }],
  ])('refuses %s', (_, overrides) => {
    refused(forge(ES256, payload(overrides)));
  });

  it('accepts a credential that expired 2 s ago and one whose iat is 2 s ahead (clock tolerance)', () => {
    expect(verifyCredential(keys, forge(ES256, payload({ iat: now() - 62, exp: now() - 2 })), SUBGRAPH)).toEqual(CLAIMS);
    expect(verifyCredential(keys, forge(ES256, payload({ iat: now() + 2, exp: now() + 62 })), SUBGRAPH)).toEqual(CLAIMS);
  });

  it('refuses a payload that is not a JSON object', () => {
    for (const body of ['not json', '[]', 'null', '42']) {
      const input = `${b64url(ES256)}.${b64url(body)}`;
      refused(`${input}.${sign('sha256', Buffer.from(input), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`);
    }
  });
});

describe('ES256 keys only', () => {
  it('refuses to sign or verify with a key that is not EC P-256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const pair of [p384, rsa]) {
      expect(() => signCredential(pair, CLAIMS, SUBGRAPH)).toThrow(/P-256/);
      expect(() => verifyCredential({ publicKey: pair.publicKey }, signCredential(keys, CLAIMS, SUBGRAPH), SUBGRAPH)).toThrow(/P-256/);
      // ...and such a key file stops the start of the gateway or subgraph that reads it.
      expect(() => credentialKeysFromPem({ privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })).toThrow(/P-256/);
      expect(() => credentialKeysFromPem({ publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string })).toThrow(/P-256/);
    }
    const p256 = ephemeralCredentialKeys();
    expect(credentialKeysFromPem({ privateKey: p256.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }).privateKey).toBeDefined();
  });
});
