// ES256 compact JWS (RFC 7515, RFC 7518 section 3.4) with node:crypto alone, for the
// gateway's subgraph credential: the same tokens jsonwebtoken makes and reads, without its
// per-call work on every gateway → subgraph call (measured: bench/README.md).
// The one header issued per key, {"alg":"ES256","typ":"JWT","kid":"<its thumbprint>"} (the
// member order jsonwebtoken writes), is pinned byte for byte, so no other algorithm (none,
// HS256 keyed with the public key, RS256, ...) is ever even considered.
import { createHash, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The compact header (base64url) of a token signed with the key `kid`. */
export const es256Header = (kid: string) => Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url');

/** The kid a header names, if it is the pinned header of some key; undefined for anything else. */
export function kidOfHeader(header: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof parsed.kid === 'string' && es256Header(parsed.kid) === header ? parsed.kid : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7638 thumbprint of an EC public key: the key id the gateway's credentials carry. */
export function ecThumbprint(key: KeyObject | JsonWebKey): string {
  const jwk = 'export' in key && typeof key.export === 'function' ? (key.export({ format: 'jwk' }) as JsonWebKey) : (key as JsonWebKey);
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

export class JwsRejected extends Error {}

const checkedKeys = new WeakSet<KeyObject>();

/** ES256 is ECDSA on P-256 and nothing else (as jsonwebtoken requires); checked once per key. */
export function requireP256(key: KeyObject): void {
  if (checkedKeys.has(key)) return;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new JwsRejected(`ES256 needs an EC P-256 key, not ${key.asymmetricKeyType ?? key.type}`);
  }
  checkedKeys.add(key);
}

export function signEs256(payload: object, privateKey: KeyObject, kid: string): string {
  requireP256(privateKey);
  const input = `${es256Header(kid)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/**
 * The payload (parsed JSON, its claims not yet checked) of a token whose header is the pinned
 * header of a key `keyFor` knows and whose signature verifies with it; throws JwsRejected otherwise.
 */
export function verifyEs256(token: string, keyFor: (header: string) => KeyObject | undefined): unknown {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsRejected('not a compact JWS');
  const [header, payload, signature] = parts as [string, string, string];
  const publicKey = keyFor(header);
  if (!publicKey) throw new JwsRejected('the header is not {"alg":"ES256","typ":"JWT","kid":...} of a known key');
  requireP256(publicKey);
  const sig = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: decoding skips stray characters and ignores the last one's
  // unused bits. A signature of another length (ES256 is r ‖ s, 64 bytes) does not verify.
  if (sig.toString('base64url') !== signature) throw new JwsRejected('not a base64url signature');
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)) {
    throw new JwsRejected('the signature does not verify');
  }
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new JwsRejected('the payload is not JSON');
  }
}
