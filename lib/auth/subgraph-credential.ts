// The gateway's credential to a subgraph: a short-lived ES256 token that the gateway signs
// for each subgraph call, whose audience is that one subgraph, carrying the verified
// requester and the request's purpose and case reference. A subgraph releases nothing
// without one that verifies.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { Requester } from '../access/requester.ts';

export const CREDENTIAL_HEADER = 'x-ciigraph-credential';
const ISSUER = 'ciigraph-gateway';
const TTL_SECONDS = 60;
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
  if (pem.privateKey) {
    const privateKey = createPrivateKey(pem.privateKey);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  if (!pem.publicKey) throw new Error('a gateway credential key (private for the gateway, public for a subgraph) is required');
  return { publicKey: createPublicKey(pem.publicKey) };
}

export const CredentialClaims = z.object({
  requester: Requester,
  purpose: z.string().optional(),
  caseReference: z.string().optional(),
  requestId: z.string(),
});
export type CredentialClaims = z.infer<typeof CredentialClaims>;

export function signCredential(keys: CredentialKeys, claims: CredentialClaims, subgraph: string): string {
  if (!keys.privateKey) throw new Error('only the gateway signs subgraph credentials');
  return jwt.sign(claims, keys.privateKey, {
    algorithm: 'ES256',
    issuer: ISSUER,
    audience: audienceOf(subgraph),
    expiresIn: TTL_SECONDS,
  });
}

/** The claims of a credential meant for this subgraph; throws when it does not verify. */
export function verifyCredential(keys: CredentialKeys, token: string, subgraph: string): CredentialClaims {
  const payload = jwt.verify(token, keys.publicKey, {
    algorithms: ['ES256'],
    issuer: ISSUER,
    audience: audienceOf(subgraph),
    clockTolerance: 5,
  });
  return CredentialClaims.parse(payload);
}
