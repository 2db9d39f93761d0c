// The gateway's subgraph credential, signed and checked with node:crypto, is the standard
// ES256 JWT jsonwebtoken makes and reads (either side can be swapped), and its check refuses
// what jsonwebtoken refused and a little more: any header but {"alg":"ES256","typ":"JWT","kid"}
// of a known key, a changed payload or signature, a signature in another encoding, a key that
// is not P-256, claims out of bounds (issuer, audience, expiry with 5 s tolerance, iat,
// lifetime), and a credential made for another request body.
// test/forged-subgraph-credentials.test.ts proves the same refusals end to end.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { es256Header } from '../lib/auth/es256-jws.ts';
import { credentialKeysFromPem, ephemeralCredentialKeys, signCredential, verifyCredential, type CredentialClaims, type CredentialKeys } from '../lib/auth/subgraph-credential.ts';

const keys = ephemeralCredentialKeys();
/** The request body a credential is made for. */
const BODY = '{"query":"{ _entities { __typename } }"}';
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const keyFor = (k: Pick<CredentialKeys, 'kid' | 'publicKey'> = keys) => (header: string) => (header === es256Header(k.kid) ? k.publicKey : undefined);
const verify = (token: string, body = BODY, k: Pick<CredentialKeys, 'kid' | 'publicKey'> = keys) => verifyCredential(keyFor(k), token, SUBGRAPH, Buffer.from(body));
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
const ES256 = { alg: 'ES256', typ: 'JWT', kid: keys.kid };

/** A valid payload for SUBGRAPH, with overrides (undefined removes a claim). */
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const p: Record<string, unknown> = { ...CLAIMS, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 60, bodySha256: sha256(BODY), ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete p[k];
  return p;
}

/** A compact JWS with any header and payload, signed with an ECDSA key (raw r‖s unless `der`). */
function forge(header: unknown, body: unknown, key: KeyObject = keys.privateKey, der = false): string {
  const input = `${b64url(header)}.${b64url(body)}`;
  return `${input}.${sign('sha256', Buffer.from(input), der ? key : { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const refused = (token: string, body = BODY) => expect(() => verify(token, body)).toThrow();

describe('the same JWT format as jsonwebtoken', () => {
  it('jsonwebtoken verifies what the gateway signs (ES256, its key id, issuer, audience, 60 s, the body hash)', () => {
    const token = signCredential(keys, CLAIMS, SUBGRAPH, BODY);
    const decoded = jwt.verify(token, keys.publicKey, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE }) as jwt.JwtPayload;
    expect(jwt.decode(token, { complete: true })?.header).toEqual(ES256);
    expect(decoded).toMatchObject({ ...CLAIMS, bodySha256: sha256(BODY) });
    expect(decoded.exp! - decoded.iat!).toBe(60);
  });

  it('a subgraph accepts a credential jsonwebtoken signed, and returns exactly the credential claims', () => {
    const token = jwt.sign({ ...CLAIMS, bodySha256: sha256(BODY) }, keys.privateKey, { algorithm: 'ES256', keyid: keys.kid, issuer: ISSUER, audience: AUDIENCE, expiresIn: 60 });
    expect(verify(token)).toEqual(CLAIMS);
  });

  it('a hand-made token with the pinned header and valid claims verifies (so the refusals below are not vacuous)', () => {
    expect(verify(forge(ES256, payload()))).toEqual(CLAIMS);
  });

  it("the key id is the key's RFC 7638 thumbprint, and the gateway publishes its public key under it", () => {
    const jwk = keys.publicKey.export({ format: 'jwk' });
    const thumbprint = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
    expect(keys.kid).toBe(thumbprint);
    expect(keys.published[0]).toMatchObject({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: thumbprint, alg: 'ES256', use: 'sig' });
    expect(JSON.stringify(keys.published)).not.toContain('"d"');
  });
});

describe('bound to the one request body it was made for', () => {
  it('refuses the genuine credential with any other body: another query, other variables, one byte more', () => {
    const token = signCredential(keys, CLAIMS, SUBGRAPH, BODY);
    expect(verify(token)).toEqual(CLAIMS);
    refused(token, '{"query":"{ _entities { __typename ... on Person { disability { medical { diagnoses } } } } }"}');
    refused(token, BODY.replace('_entities', '_service'));
    refused(token, `${BODY} `);
    refused(token, '');
  });

  it('refuses a credential without the body hash', () => {
    refused(forge(ES256, payload({ bodySha256: undefined })));
  });
});

describe('the header is pinned to {"alg":"ES256","typ":"JWT","kid":<a known key>}', () => {
  it.each([
    ['no kid', { alg: 'ES256', typ: 'JWT' }],
    ['the same members in another order', { kid: keys.kid, typ: 'JWT', alg: 'ES256' }],
    ['an unknown kid', { ...ES256, kid: 'gateway' }],
    ['another key\'s kid', { ...ES256, kid: ephemeralCredentialKeys().kid }],
    ['alg ES384', { alg: 'ES384', typ: 'JWT', kid: keys.kid }],
    ['alg none', { alg: 'none', typ: 'JWT', kid: keys.kid }],
    ['alg HS256', { alg: 'HS256', typ: 'JWT', kid: keys.kid }],
  ])('refuses %s, even with a valid signature of the gateway key', (_, header) => {
    refused(forge(header, payload()));
  });

  it('refuses tokens jsonwebtoken makes with other algorithms and keys (ES384 on P-384, RS256, PS256)', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const opts = { issuer: ISSUER, audience: AUDIENCE, expiresIn: 60, keyid: keys.kid };
    refused(jwt.sign(CLAIMS, p384, { ...opts, algorithm: 'ES384' }));
    refused(jwt.sign(CLAIMS, rsa, { ...opts, algorithm: 'RS256' }));
    refused(jwt.sign(CLAIMS, rsa, { ...opts, algorithm: 'PS256' }));
  });
});

describe('the signature covers the token as sent', () => {
  const genuine = () => signCredential(keys, CLAIMS, SUBGRAPH, BODY);

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
    expect(verify(forge(ES256, payload({ iat: now() - 62, exp: now() - 2 })))).toEqual(CLAIMS);
    expect(verify(forge(ES256, payload({ iat: now() + 2, exp: now() + 62 })))).toEqual(CLAIMS);
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
      expect(() => signCredential({ ...keys, privateKey: pair.privateKey }, CLAIMS, SUBGRAPH, BODY)).toThrow(/P-256/);
      expect(() => verifyCredential(() => pair.publicKey, signCredential(keys, CLAIMS, SUBGRAPH, BODY), SUBGRAPH, Buffer.from(BODY))).toThrow(/P-256/);
      // ...and such a key file stops the start of the gateway that reads it, as its own key or one it publishes.
      const pem = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }) as string;
      expect(() => credentialKeysFromPem(pem(pair.privateKey, 'pkcs8'))).toThrow(/P-256/);
      expect(() => credentialKeysFromPem(pem(keys.privateKey, 'pkcs8'), [pem(pair.publicKey, 'spki')])).toThrow(/P-256/);
    }
    const p256 = ephemeralCredentialKeys();
    expect(credentialKeysFromPem(p256.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).kid).toBe(p256.kid);
  });
});
