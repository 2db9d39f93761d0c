// The gateway's credential to a subgraph: a short-lived ES256 token that the gateway signs
// for each subgraph call, whose audience is that one subgraph, carrying the verified
// requester and the request's purpose and case reference. A subgraph releases nothing
// without one that verifies. A standard JWT (jsonwebtoken reads and makes the same tokens),
// signed and checked with node:crypto (lib/auth/es256-jws.ts): it is on every subgraph call.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { Requester } from '../access/requester.ts';
import { JwsRejected, requireP256, signEs256, verifyEs256 } from './es256-jws.ts';

export const CREDENTIAL_HEADER = 'x-ciigraph-credential';
const ISSUER = 'ciigraph-gateway';
const TTL_SECONDS = 60;
const CLOCK_TOLERANCE_S = 5;
const audienceOf = (subgraph: string) => `ciigraph-subgraph:${subgraph}`;

export interface CredentialKeys {
  /** Only the gateway holds it. */
  privateKey?: KeyObject;
  publicKey: KeyObject;
}

/** An ephemeral key pair for a stack that runs in one process (development, tests). */
export function ephemeralCredentialKeys(): Required<CredentialKeys> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey };
}

/** The gateway holds the private key (its public half is derived); subgraphs hold the public key only. */
export function credentialKeysFromPem(pem: { privateKey?: string | undefined; publicKey?: string | undefined }): CredentialKeys {
  // A key of another kind is refused at start, not on the first request.
  if (pem.privateKey) {
    const privateKey = createPrivateKey(pem.privateKey);
    requireP256(privateKey);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  if (!pem.publicKey) throw new Error('a gateway credential key (private for the gateway, public for a subgraph) is required');
  const publicKey = createPublicKey(pem.publicKey);
  requireP256(publicKey);
  return { publicKey };
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

/** The registered claims every credential carries (nbf: never issued, checked if present). */
const RegisteredClaims = z.object({
  iss: z.string(),
  aud: z.string(),
  iat: z.number(),
  exp: z.number(),
  nbf: z.number().optional(),
});

export function signCredential(keys: CredentialKeys, claims: CredentialClaims, subgraph: string): string {
  if (!keys.privateKey) throw new Error('only the gateway signs subgraph credentials');
  const iat = Math.floor(Date.now() / 1000);
  return signEs256({ ...claims, iss: ISSUER, aud: audienceOf(subgraph), iat, exp: iat + TTL_SECONDS }, keys.privateKey);
}

/** The claims of a credential meant for this subgraph; throws when it does not verify. */
export function verifyCredential(keys: CredentialKeys, token: string, subgraph: string): CredentialClaims {
  const payload = verifyEs256(token, keys.publicKey);
  const registered = RegisteredClaims.safeParse(payload);
  if (!registered.success) throw new JwsRejected('iss, aud, iat and exp are required');
  const { iss, aud, iat, exp, nbf } = registered.data;
  const now = Math.floor(Date.now() / 1000);
  if (iss !== ISSUER) throw new JwsRejected('another issuer');
  if (aud !== audienceOf(subgraph)) throw new JwsRejected('meant for another audience');
  // The tolerance as jsonwebtoken applies it: expired from exp + 5 s on.
  if (now >= exp + CLOCK_TOLERANCE_S) throw new JwsRejected('expired');
  if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_S) throw new JwsRejected('not yet valid');
  if (iat > now + CLOCK_TOLERANCE_S) throw new JwsRejected('issued in the future');
  // The gateway never issues a longer one: a credential that claims to live longer is not its.
  if (exp - iat > TTL_SECONDS) throw new JwsRejected('lives longer than a credential may');
  return CredentialClaims.parse(payload);
}
