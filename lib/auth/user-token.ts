// Verifies the requester's bearer token: algorithms pinned (asymmetric in production, HS256
// only in development), issuer, audience, expiry and not-before with a bounded clock skew,
// then the claims (institution, role valid at that institution, subject, canton). A token
// that verified is remembered until its exp (+ the tolerance), so the same bearer token on
// every request is verified once (lib/auth/verified-token-cache.ts).
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { z } from 'zod';
import type { Policy } from '../access/policy.ts';
import type { Requester } from '../access/requester.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { StartupError } from '../errors.ts';
import { Institution } from '../schema/catalogue.ts';
import { devSecret } from './dev-issuer.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

const Claims = z.object({
  sub: z.string().min(1).max(200),
  institution: Institution,
  role: z.string().min(1).max(64),
  canton: z.string().regex(/^[A-Z]{2}$/).optional(),
  purpose: z.string().optional(),
  case: z.string().optional(),
  // Checked by jsonwebtoken; read here only to bound how long a verified token is remembered.
  exp: z.number().optional(),
});

export interface VerifiedToken {
  requester: Requester;
  purpose: string | undefined;
  caseReference: string | undefined;
}

export class TokenRejected extends Error {}

export interface VerifierOptions {
  /** Time of the expiry checks, cached or not (tests use a fake one). */
  clock?: Clock;
  /** Most verified tokens remembered at once (0: none). */
  maxCachedTokens?: number;
}

// A few MB at most (a token and its claims are well under 1 KB), far more distinct requesters
// than one gateway serves within a token's lifetime.
const DEFAULT_MAX_CACHED_TOKENS = 10_000;

export class UserTokenVerifier {
  private readonly clock: Clock;
  private readonly cache: VerifiedTokenCache<VerifiedToken>;

  private constructor(
    private readonly key: KeyObject,
    private readonly algorithms: Algorithm[],
    private readonly config: Config['auth'],
    private readonly policy: Policy,
    opts: VerifierOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.cache = new VerifiedTokenCache(opts.maxCachedTokens ?? DEFAULT_MAX_CACHED_TOKENS);
  }

  static fromConfig(config: Config, policy: Policy, opts: VerifierOptions = {}): UserTokenVerifier {
    if (config.auth.publicKeyFile) {
      let key: KeyObject;
      try {
        key = createPublicKey(readFileSync(config.auth.publicKeyFile, 'utf8'));
      } catch (e) {
        throw new StartupError(config.auth.publicKeyFile, [`not a readable PEM public key: ${(e as Error).message}`]);
      }
      const algorithms: Algorithm[] = key.asymmetricKeyType === 'rsa' ? ['RS256'] : key.asymmetricKeyType === 'ec' ? ['ES256'] : [];
      if (!algorithms.length) throw new StartupError(config.auth.publicKeyFile, [`unsupported key type ${key.asymmetricKeyType}: use RSA or EC P-256`]);
      return new UserTokenVerifier(key, algorithms, config.auth, policy, opts);
    }
    if (config.env === 'production') throw new StartupError('environment', ['JWT_PUBLIC_KEY_FILE: required in production']);
    // A KeyObject, not the raw bytes: jsonwebtoken would otherwise try (and fail) to read the
    // bytes as a public key on every verification.
    return new UserTokenVerifier(createSecretKey(devSecret(config.auth.devSecretFile)), ['HS256'], config.auth, policy, opts);
  }

  verify(token: string): VerifiedToken {
    const nowMs = this.clock.now().getTime();
    const cached = this.cache.get(token, nowMs);
    if (cached) return copy(cached);
    const verified = this.verifyUncached(token, nowMs);
    // jsonwebtoken refuses a token once now >= exp + tolerance (in whole seconds): remembered
    // strictly before that instant. A token without exp is verified every time.
    if (verified.exp !== undefined) this.cache.set(token, verified.token, (verified.exp + this.config.clockToleranceS) * 1000, nowMs);
    return copy(verified.token);
  }

  private verifyUncached(token: string, nowMs: number): { token: VerifiedToken; exp: number | undefined } {
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.key, {
        algorithms: this.algorithms,
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceS,
        // The same clock as the cache's, so both agree on when the token expires.
        clockTimestamp: Math.floor(nowMs / 1000),
      });
    } catch (e) {
      throw new TokenRejected(`The token does not verify: ${(e as Error).message}.`);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new TokenRejected(`The token's claims are invalid: ${claims.error.issues.map((i) => i.path.join('.')).join(', ')}.`);
    const c = claims.data;
    if (!this.policy.roleExistsAt(c.institution, c.role)) throw new TokenRejected(`The role "${c.role}" does not exist at ${c.institution}.`);
    return {
      token: {
        requester: { institution: c.institution, role: c.role, subject: c.sub, ...(c.canton ? { canton: c.canton } : {}) },
        purpose: c.purpose,
        caseReference: c.case,
      },
      exp: c.exp,
    };
  }
}

/** Each request gets its own objects: nothing downstream can change what the cache holds. */
const copy = (v: VerifiedToken): VerifiedToken => ({ ...v, requester: { ...v.requester } });
