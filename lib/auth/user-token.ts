// Verifies the requester's bearer token with jose: the issuer is picked by the token's `iss`
// among the configured identity providers (their keys from a JWKS URL or a PEM file, their
// algorithms pinned, asymmetric only), or, outside production and with no provider
// configured, the HS256 development issuer. Audience, expiry (required) and not-before are
// checked with a bounded clock skew, and the lifetime against the issuer's maximum. Then the
// issuer's claim mapping reads who asks: subject, institution, role (a role valid at that
// institution; from a list, the one that is), canton, calling client, purpose, case.
// A token that verified is remembered until its exp (+ the tolerance), so the same bearer
// token on every request is verified once (lib/auth/verified-token-cache.ts).
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Policy } from '../access/policy.ts';
import type { Requester } from '../access/requester.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { ClaimPath, Config, IssuerConfig } from '../config.ts';
import { StartupError } from '../errors.ts';
import type { HttpCaller } from '../http-client.ts';
import { Institution } from '../schema/catalogue.ts';
import { devSecret } from './dev-issuer.ts';
import { RemoteKeySource, StaticKeySource, type KeySource } from './key-source.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

export interface VerifiedToken {
  requester: Requester;
  /** The `iss` that vouched for the requester. */
  issuer: string;
  purpose: string | undefined;
  caseReference: string | undefined;
}

export class TokenRejected extends Error {}

export interface VerifierOptions {
  /** Time of the expiry checks, cached or not (tests use a fake one). */
  clock?: Clock;
  /** Most verified tokens remembered at once (0: none). */
  maxCachedTokens?: number;
  /** The client JWKS are fetched with (CA bundle); default: system CAs. */
  call?: HttpCaller;
}

// A few MB at most (a token and its claims are well under 1 KB), far more distinct requesters
// than one gateway serves within a token's lifetime.
const DEFAULT_MAX_CACHED_TOKENS = 10_000;
/** The development issuer's longest token: `npm run token -- --ttl` allows a day. */
const DEV_MAX_LIFETIME_S = 86_400;
const DEFAULT_CLAIMS = { subject: 'sub', institution: 'institution', role: 'role', canton: 'canton', purpose: 'purpose', caseReference: 'case' } as const;

interface Issuer {
  issuer: string;
  audience: string[];
  algorithms: string[];
  key: JWTVerifyGetKey | KeyObject;
  claims: IssuerConfig['claims'];
  maxLifetimeS: number;
  source?: KeySource;
}

const Text = z.string().min(1).max(200);
const Canton = z.string().regex(/^[A-Z]{2}$/, 'a canton is two capital letters');

export class UserTokenVerifier {
  private readonly clock: Clock;
  private readonly cache: VerifiedTokenCache<VerifiedToken>;

  private constructor(
    private readonly issuers: ReadonlyMap<string, Issuer>,
    private readonly clockToleranceS: number,
    private readonly policy: Policy,
    opts: VerifierOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.cache = new VerifiedTokenCache(opts.maxCachedTokens ?? DEFAULT_MAX_CACHED_TOKENS);
  }

  static fromConfig(config: Config, policy: Policy, opts: VerifierOptions = {}): UserTokenVerifier {
    const issuers = new Map<string, Issuer>();
    for (const i of config.auth.issuers) {
      if (issuers.has(i.issuer)) throw new StartupError(config.file ?? 'environment', [`identity.issuers: "${i.issuer}" is configured twice`]);
      const source: KeySource =
        'jwksUrl' in i.keys
          ? new RemoteKeySource(i.keys.jwksUrl, { ...config.auth.jwks, ...(opts.call ? { call: opts.call } : {}), maxBytes: 1_000_000 })
          : StaticKeySource.fromPemFiles(i.issuer, [i.keys.publicKeyFile]);
      issuers.set(i.issuer, { issuer: i.issuer, audience: i.audience, algorithms: i.algorithms, key: keyResolver(source), claims: i.claims, maxLifetimeS: i.maxTokenLifetimeS, source });
    }
    if (!issuers.size) {
      if (config.env === 'production') throw new StartupError(config.file ?? 'environment', ['identity.issuers: at least one identity provider is required in production']);
      // A KeyObject, not the raw bytes: the secret is turned into a key once, not per verification.
      const key = createSecretKey(devSecret(config.auth.devSecretFile));
      issuers.set(config.auth.issuer, { issuer: config.auth.issuer, audience: [config.auth.audience], algorithms: ['HS256'], key, claims: DEFAULT_CLAIMS, maxLifetimeS: DEV_MAX_LIFETIME_S });
    }
    return new UserTokenVerifier(issuers, config.auth.clockToleranceS, policy, opts);
  }

  /** Loads every identity provider's keys (a provider that does not answer is named in readiness). */
  async warm(): Promise<void> {
    await Promise.all([...this.issuers.values()].map((i) => i.source?.keys()));
  }

  /** Per identity provider: whether its keys are known. */
  status(): Record<string, 'keys loaded' | 'no keys'> {
    return Object.fromEntries([...this.issuers.values()].map((i) => [i.issuer, !i.source || i.source.loaded() ? 'keys loaded' : 'no keys']));
  }

  close(): void {
    for (const i of this.issuers.values()) i.source?.close();
  }

  async verify(token: string): Promise<VerifiedToken> {
    const nowMs = this.clock.now().getTime();
    const cached = this.cache.get(token, nowMs);
    if (cached) return copy(cached);
    const verified = await this.verifyUncached(token, nowMs);
    // Refused from now >= exp + tolerance on: remembered strictly before that instant.
    this.cache.set(token, verified.token, (verified.exp + this.clockToleranceS) * 1000, nowMs);
    return copy(verified.token);
  }

  private async verifyUncached(token: string, nowMs: number): Promise<{ token: VerifiedToken; exp: number }> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new TokenRejected('The token is not a JWT.');
    }
    const issuer = typeof unverified.iss === 'string' ? this.issuers.get(unverified.iss) : undefined;
    if (!issuer) throw new TokenRejected('The token does not verify: its issuer is not one this gateway accepts.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.key as JWTVerifyGetKey, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: issuer.algorithms,
        clockTolerance: this.clockToleranceS,
        // The same clock as the cache's, so both agree on when the token expires.
        currentDate: new Date(nowMs),
        requiredClaims: ['exp'],
      }));
    } catch (e) {
      throw new TokenRejected(`The token does not verify: ${(e as Error).message}.`);
    }
    const exp = payload.exp!;
    const nowS = Math.floor(nowMs / 1000);
    const lifetime = typeof payload.iat === 'number' ? exp - payload.iat : exp - nowS;
    if (lifetime > issuer.maxLifetimeS || exp - nowS > issuer.maxLifetimeS + this.clockToleranceS) {
      throw new TokenRejected(`The token lives longer than ${issuer.maxLifetimeS} s, the most this issuer's tokens may.`);
    }
    return { token: this.requesterOf(payload, issuer), exp };
  }

  private requesterOf(payload: JWTPayload, issuer: Issuer): VerifiedToken {
    const m = issuer.claims;
    const read = (path: ClaimPath | undefined) => (path === undefined ? undefined : claimAt(payload, path));
    const refuse = (claim: string, why: string): never => {
      throw new TokenRejected(`The token's claims are invalid: ${claim} ${why}.`);
    };
    const text = (claim: string, value: unknown, schema: z.ZodType<string> = Text): string | undefined => {
      if (value === undefined) return undefined;
      const v = typeof value === 'number' ? String(value) : value;
      const r = schema.safeParse(v);
      return r.success ? r.data : refuse(claim, r.error.issues[0]?.message ?? 'is malformed');
    };
    const subject = text('subject', read(m.subject)) ?? refuse('subject', 'is missing');
    const institution = one(read(m.institution), (v) => Institution.safeParse(v).success) ?? refuse('institution', 'names no institution (AC AI AS PC CII)');
    const role =
      one(read(m.role), (v) => this.policy.roleExistsAt(institution as Institution, v)) ??
      refuse('role', `names no role of the active policy at ${institution} (or several)`);
    const canton = text('canton', read(m.canton), Canton);
    const client = text('client', m.client !== undefined ? read(m.client) : (claimAt(payload, 'azp') ?? claimAt(payload, 'client_id')));
    const purpose = read(m.purpose);
    const caseReference = read(m.caseReference);
    return {
      requester: { institution: institution as Institution, role, subject, ...(canton ? { canton } : {}), ...(client ? { client } : {}) },
      issuer: issuer.issuer,
      purpose: typeof purpose === 'string' ? purpose : undefined,
      caseReference: typeof caseReference === 'string' ? caseReference : undefined,
    };
  }
}

/** A claim by name, or by its path into nested objects. */
function claimAt(payload: JWTPayload, path: ClaimPath): unknown {
  if (typeof path === 'string') return payload[path];
  let node: unknown = payload;
  for (const key of path) node = node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

/** A string claim that passes, or the one entry of a list claim that does (none or several: undefined). */
function one(value: unknown, fits: (v: string) => boolean): string | undefined {
  const candidates = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && fits(v));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** jose's key selection (alg, kid, use) over the source's keys; a key it does not find asks the source to fetch again. */
function keyResolver(source: KeySource): JWTVerifyGetKey {
  const sets = new WeakMap<readonly JWK[], ReturnType<typeof createLocalJWKSet>>();
  const setOf = (keys: readonly JWK[]) => {
    let set = sets.get(keys);
    if (!set) sets.set(keys, (set = createLocalJWKSet({ keys: [...keys] })));
    return set;
  };
  return async (header, token) => {
    try {
      return await setOf(await source.keys())(header, token);
    } catch (e) {
      if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
    }
    return setOf(await source.refetch())(header, token);
  };
}

/** Each request gets its own objects: nothing downstream can change what the cache holds. */
const copy = (v: VerifiedToken): VerifiedToken => ({ ...v, requester: { ...v.requester } });
