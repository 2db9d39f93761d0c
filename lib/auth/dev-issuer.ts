// The development token issuer: HS256 with a random secret kept in a local file
// (.ciigraph/dev-token-secret, never committed), shared by `npm start` and `npm run token`.
// In production the gateway accepts no HS256 token at all.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import jwt from 'jsonwebtoken';

/** A random 32-byte key kept in a local file, created on first use (development keys only). */
export function localKey(file: string): Buffer {
  try {
    const hex = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
  } catch {
    // absent: created below
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  return secret;
}

export const devSecret = localKey;

export interface DevTokenClaims {
  institution: string;
  role: string;
  sub: string;
  canton?: string | undefined;
  purpose?: string | undefined;
  case?: string | undefined;
}

export function issueDevToken(
  secret: Buffer,
  claims: DevTokenClaims,
  opts: { issuer: string; audience: string; ttlSeconds: number; notBefore?: number },
): string {
  const { sub, ...rest } = claims;
  const payload = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return jwt.sign(payload, secret, {
    algorithm: 'HS256',
    subject: sub,
    issuer: opts.issuer,
    audience: opts.audience,
    expiresIn: opts.ttlSeconds,
    ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
  });
}
