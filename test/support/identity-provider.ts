// A stand-in identity provider over real HTTP on loopback: it publishes its signing keys as a
// JWKS (GET /certs, counted), signs tokens with its current key (jose), and rotates keys the
// way Keycloak does: a new key is published and signs from then on, the old one stays
// published until it is retired.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface IdentityProvider {
  issuer: string;
  jwksUrl: string;
  /** How many times the JWKS was fetched. */
  readonly fetches: number;
  /** The key that signs now. */
  readonly currentKid: string;
  /** A token with these claims (iss, iat, exp: 5 min, jti added unless given), signed with the current key or `opts.kid`. */
  sign(claims: JWTPayload, opts?: { kid?: string; header?: Record<string, unknown>; withoutExp?: boolean; ttlS?: number; issuer?: string }): Promise<string>;
  /** Publishes a new key and signs with it from now on; returns its kid. */
  rotate(): Promise<string>;
  /** Stops publishing a key. */
  retire(kid: string): void;
  /** The JWKS endpoint answers 500 while true. */
  failing: boolean;
  close(): Promise<void>;
}

async function newKey(alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export async function startIdentityProvider(opts: { alg?: 'RS256' | 'ES256'; issuerPath?: string } = {}): Promise<IdentityProvider> {
  const alg = opts.alg ?? 'RS256';
  const keys = new Map<string, SigningKey>();
  let current = await newKey(alg);
  keys.set(current.kid, current);
  let fetches = 0;
  const state = { failing: false };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/certs') return void res.writeHead(404).end();
    fetches++;
    if (state.failing) return void res.writeHead(500).end();
    const body = JSON.stringify({ keys: [...keys.values()].map((k) => k.jwk) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}${opts.issuerPath ?? '/realms/cii'}`;
  return {
    issuer,
    jwksUrl: `${base}/certs`,
    get fetches() {
      return fetches;
    },
    get currentKid() {
      return current.kid;
    },
    get failing() {
      return state.failing;
    },
    set failing(v: boolean) {
      state.failing = v;
    },
    async sign(claims, o = {}) {
      const key = o.kid ? keys.get(o.kid) : current;
      if (!key) throw new Error(`no key ${o.kid}`);
      const jwt = new SignJWT({ jti: randomUUID(), ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...o.header }).setIssuer(o.issuer ?? issuer).setIssuedAt();
      if (!o.withoutExp) jwt.setExpirationTime(`${o.ttlS ?? 300}s`);
      return jwt.sign(key.privateKey);
    },
    async rotate() {
      current = await newKey(alg);
      keys.set(current.kid, current);
      return current.kid;
    },
    retire(kid) {
      keys.delete(kid);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
