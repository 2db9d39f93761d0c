// The gateway's credential to a subgraph: a short-lived ES256 token that the gateway signs
// for each subgraph call, whose audience is that one subgraph, carrying the verified
// requester, the request's purpose and case reference, and the SHA-256 of the exact body of
// that call, so a captured credential carries no other query. Its header names the signing
// key (kid: the key's RFC 7638 thumbprint), so subgraphs can hold several of the gateway's
// keys at once and a key rolls over without downtime: the gateway publishes its public keys
// (/credential-keys), subgraphs take them from there or from configured PEM files.
// A standard JWT (jsonwebtoken reads and makes the same tokens), signed and checked with
// node:crypto (lib/auth/es256-jws.ts): it is on every subgraph call.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { z } from 'zod';
import { Requester } from '../access/requester.ts';
import { StartupError } from '../errors.ts';
import { ecThumbprint, es256Header, JwsRejected, kidOfHeader, requireP256, signEs256, verifyEs256 } from './es256-jws.ts';
import type { Config } from '../config.ts';
import { RemoteKeySource, StaticKeySource, type KeySource } from './key-source.ts';

export const CREDENTIAL_HEADER = 'x-ciigraph-credential';
const ISSUER = 'ciigraph-gateway';
const TTL_SECONDS = 60;
const CLOCK_TOLERANCE_S = 5;
const audienceOf = (subgraph: string) => `ciigraph-subgraph:${subgraph}`;

/** The gateway's signing key and the public keys it publishes (its own first). */
export interface CredentialKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  published: JWK[];
}

const publicJwk = (key: KeyObject): JWK => ({ ...(key.export({ format: 'jwk' }) as JWK), kid: ecThumbprint(key), alg: 'ES256', use: 'sig' });

function keysOf(privateKey: KeyObject, extra: readonly KeyObject[] = []): CredentialKeys {
  requireP256(privateKey);
  const publicKey = createPublicKey(privateKey);
  const own = publicJwk(publicKey);
  const others = extra.map((k) => {
    requireP256(k);
    return publicJwk(k);
  });
  return { privateKey, publicKey, kid: own.kid!, published: [own, ...others.filter((k) => k.kid !== own.kid)] };
}

/** An ephemeral key pair for a stack that runs in one process (development, tests). */
export function ephemeralCredentialKeys(): CredentialKeys {
  return keysOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** The gateway's key from PEM, with the other public keys it publishes during a rollover. A key of another kind is refused at start. */
export function credentialKeysFromPem(privateKeyPem: string, publishedPems: readonly string[] = []): CredentialKeys {
  return keysOf(createPrivateKey(privateKeyPem), publishedPems.map((p) => createPublicKey(p)));
}

/** The gateway's keys from the configured files. */
export function credentialKeysFromFiles(privateKeyFile: string, publishedKeyFiles: readonly string[]): CredentialKeys {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new StartupError(file, [`cannot read this key file: ${(e as Error).message}`]);
    }
  };
  try {
    return credentialKeysFromPem(read(privateKeyFile), publishedKeyFiles.map(read));
  } catch (e) {
    if (e instanceof StartupError) throw e;
    throw new StartupError(privateKeyFile, [`the gateway credential keys: ${(e as Error).message}`]);
  }
}

export const CredentialClaims = z.object({
  requester: Requester,
  purpose: z.string().optional(),
  caseReference: z.string().optional(),
  requestId: z.string(),
  /** Calls the gateway's plan makes to this subgraph for the request (an upper bound); absent: unknown. */
  fetches: z.number().int().positive().optional(),
});
export type CredentialClaims = z.infer<typeof CredentialClaims>;

/** The registered claims every credential carries (nbf: never issued, checked if present), and the body it is for. */
const RegisteredClaims = z.object({
  iss: z.string(),
  aud: z.string(),
  iat: z.number(),
  exp: z.number(),
  nbf: z.number().optional(),
  bodySha256: z.string(),
});

const bodyHash = (body: string | Uint8Array) => createHash('sha256').update(body).digest('base64url');

/** A credential for one call to `subgraph` whose request body is exactly `body`. */
export function signCredential(keys: CredentialKeys, claims: CredentialClaims, subgraph: string, body: string | Uint8Array): string {
  const iat = Math.floor(Date.now() / 1000);
  return signEs256({ ...claims, iss: ISSUER, aud: audienceOf(subgraph), iat, exp: iat + TTL_SECONDS, bodySha256: bodyHash(body) }, keys.privateKey, keys.kid);
}

/** The claims of a credential meant for this subgraph and this body; throws when it does not verify. */
export function verifyCredential(keyFor: (header: string) => KeyObject | undefined, token: string, subgraph: string, body: Uint8Array): CredentialClaims {
  const payload = verifyEs256(token, keyFor);
  const registered = RegisteredClaims.safeParse(payload);
  if (!registered.success) throw new JwsRejected('iss, aud, iat, exp and bodySha256 are required');
  const { iss, aud, iat, exp, nbf, bodySha256 } = registered.data;
  const now = Math.floor(Date.now() / 1000);
  if (iss !== ISSUER) throw new JwsRejected('another issuer');
  if (aud !== audienceOf(subgraph)) throw new JwsRejected('meant for another audience');
  // The tolerance as jsonwebtoken applies it: expired from exp + 5 s on.
  if (now >= exp + CLOCK_TOLERANCE_S) throw new JwsRejected('expired');
  if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_S) throw new JwsRejected('not yet valid');
  if (iat > now + CLOCK_TOLERANCE_S) throw new JwsRejected('issued in the future');
  // The gateway never issues a longer one: a credential that claims to live longer is not its.
  if (exp - iat > TTL_SECONDS) throw new JwsRejected('lives longer than a credential may');
  const expected = Buffer.from(bodyHash(body));
  const claimed = Buffer.from(bodySha256);
  if (claimed.length !== expected.length || !timingSafeEqual(claimed, expected)) throw new JwsRejected('made for another request body');
  return CredentialClaims.parse(payload);
}

/**
 * A subgraph's verifier of the gateway's credentials, over the gateway's public keys from a
 * KeySource: each known key's pinned header maps to it; a header naming a key not yet known
 * asks the source to fetch again (bounded rate) before the credential is refused.
 */
export class CredentialVerifier {
  private byHeader = new Map<string, KeyObject>();
  private built: readonly JWK[] | undefined;

  constructor(private readonly source: KeySource) {}

  static ofKeys(keys: Pick<CredentialKeys, 'published'>): CredentialVerifier {
    return new CredentialVerifier(new StaticKeySource('gateway keys', keys.published));
  }

  loaded = () => this.source.loaded();
  close = () => this.source.close();

  async verify(token: string, subgraph: string, body: Uint8Array): Promise<CredentialClaims> {
    this.index(await this.source.keys());
    const header = token.slice(0, token.indexOf('.'));
    if (!this.byHeader.has(header) && kidOfHeader(header) !== undefined) this.index(await this.source.refetch());
    return verifyCredential((h) => this.byHeader.get(h), token, subgraph, body);
  }

  private index(keys: readonly JWK[]): void {
    if (keys === this.built) return;
    const byHeader = new Map<string, KeyObject>();
    for (const jwk of keys) {
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      byHeader.set(es256Header(jwk.kid ?? ecThumbprint(key)), key);
    }
    this.byHeader = byHeader;
    this.built = keys;
  }
}

/** The gateway's keys as configured; a one-process stack without a key file signs with an ephemeral pair. */
export function gatewayCredentialKeys(config: Pick<Config, 'credential'>): CredentialKeys {
  const { privateKeyFile, publishedKeyFiles } = config.credential;
  return privateKeyFile ? credentialKeysFromFiles(privateKeyFile, publishedKeyFiles) : ephemeralCredentialKeys();
}

/** A subgraph's verifier as configured: the gateway's published keys, a configured set, or (one process) the gateway's own. */
export function credentialVerifierFromConfig(config: Pick<Config, 'credential' | 'auth'>, inProcess: CredentialKeys): CredentialVerifier {
  const { jwksUrl, publicKeyFiles } = config.credential;
  if (jwksUrl) return new CredentialVerifier(new RemoteKeySource(jwksUrl, { ...config.auth.jwks, maxBytes: 1_000_000 }));
  if (publicKeyFiles.length) return new CredentialVerifier(StaticKeySource.fromPemFiles('gateway keys', publicKeyFiles));
  return CredentialVerifier.ofKeys(inProcess);
}
