// The gateway remembers a bearer token that verified, so the same token on every request is
// verified once; the memory never outlives the token (exp + clock tolerance), never lets a
// different or tampered token through, never keeps a refused token, and stays bounded. A
// token without exp is refused outright.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import * as jose from 'jose';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicy, type Policy } from '../lib/access/policy.ts';
import { devSecret } from '../lib/auth/dev-issuer.ts';
import { TokenRejected, UserTokenVerifier, type VerifierOptions } from '../lib/auth/user-token.ts';
import type { Clock } from '../lib/clock.ts';
import { loadConfig, type Config } from '../lib/config.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const seconds = (ms: number) => Math.floor(ms / 1000);

let config: Config;
let policy: Policy;
let secret: Buffer;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-token-cache-'));
  config = loadConfig({ NODE_ENV: 'test', DEV_TOKEN_SECRET_FILE: join(dir, 'dev-token-secret') });
  policy = loadPolicy(loadCatalogue());
  secret = devSecret(config.auth.devSecretFile);
});
// Every real verification goes through jose's jwtVerify: counting its calls shows cache hits.
vi.mock('jose', async (original) => {
  const real = await original<typeof import('jose')>();
  return { ...real, jwtVerify: vi.fn(real.jwtVerify) };
});
const verifications = vi.mocked(jose.jwtVerify);
beforeEach(() => {
  verifications.mockClear();
});

/** A clock that stands still until moved. */
function fakeClock(at = T0): Clock & { set(ms: number): void } {
  let now = at;
  return { now: () => new Date(now), set: (ms) => (now = ms) };
}

/** A dev token of the AI case manager (or other claims), issued at T0, expiring `ttl` seconds later (null: no exp). */
function token(claims: Record<string, unknown> = {}, ttl: number | null = 60): string {
  const payload = {
    sub: 'cm-1',
    institution: 'AI',
    role: 'case-manager',
    iss: config.auth.issuer,
    aud: config.auth.audience,
    iat: seconds(T0),
    ...(ttl !== null ? { exp: seconds(T0) + ttl } : {}),
    ...claims,
  };
  return jwt.sign(payload, secret, { algorithm: 'HS256' });
}

function verifier(opts: VerifierOptions = {}) {
  const clock = opts.clock ?? fakeClock();
  const v = UserTokenVerifier.fromConfig(config, policy, { ...opts, clock });
  return { v, verifications };
}

describe('a token that verified is verified once', () => {
  it('the same token again is answered from the cache, with the same requester', async () => {
    const { v, verifications } = verifier();
    const t = token();
    const first = await v.verify(t);
    const again = await v.verify(t);
    expect(verifications).toHaveBeenCalledTimes(1);
    expect(again).toEqual(first);
    expect(again.requester).toEqual({ institution: 'AI', role: 'case-manager', subject: 'cm-1' });
  });

  it('a caller changing its answer does not change what the next request gets', async () => {
    const { v } = verifier();
    const t = token();
    (await v.verify(t)).requester.role = 'dpo';
    (await v.verify(t)).requester.role = 'dpo';
    expect((await v.verify(t)).requester.role).toBe('case-manager');
  });
});

describe('a cached token still expires', () => {
  it('is accepted up to exp + the clock tolerance, and refused from then on', async () => {
    const clock = fakeClock();
    const { v, verifications } = verifier({ clock });
    const t = token({}, 60);
    const validUntil = T0 + (60 + config.auth.clockToleranceS) * 1000;
    await v.verify(t);
    clock.set(validUntil - 1);
    expect((await v.verify(t)).requester.subject).toBe('cm-1');
    expect(verifications).toHaveBeenCalledTimes(1);
    clock.set(validUntil);
    await expect(v.verify(t)).rejects.toThrow(TokenRejected);
    clock.set(validUntil + 3_600_000);
    await expect(v.verify(t)).rejects.toThrow(TokenRejected);
  });

  it('a token without exp is refused, every time (it would otherwise be valid for ever)', async () => {
    const { v, verifications } = verifier();
    const t = token({}, null);
    await expect(v.verify(t)).rejects.toThrow(/exp/);
    await expect(v.verify(t)).rejects.toThrow(TokenRejected);
    expect(verifications).toHaveBeenCalledTimes(2);
  });
});

describe('only the exact token that verified is remembered', () => {
  it('a different token is verified on its own and yields its own requester', async () => {
    const { v, verifications } = verifier();
    expect((await v.verify(token({ sub: 'cm-1' }))).requester.subject).toBe('cm-1');
    expect((await v.verify(token({ sub: 'cm-2', institution: 'AC', role: 'counsellor' }))).requester).toEqual({
      institution: 'AC',
      role: 'counsellor',
      subject: 'cm-2',
    });
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('a tampered token is refused right after the genuine one was cached', async () => {
    const { v } = verifier();
    const genuine = token();
    await v.verify(genuine);
    const [header, , signature] = genuine.split('.');
    const forgedClaims = { sub: 'cm-1', institution: 'AI', role: 'dpo', iss: config.auth.issuer, aud: config.auth.audience, iat: seconds(T0), exp: seconds(T0) + 60 };
    const tampered = `${header}.${Buffer.from(JSON.stringify(forgedClaims)).toString('base64url')}.${signature}`;
    await expect(v.verify(tampered)).rejects.toThrow(TokenRejected);
    await expect(v.verify(`${genuine}x`)).rejects.toThrow(TokenRejected);
    await expect(v.verify(jwt.sign(forgedClaims, 'another secret', { algorithm: 'HS256' }))).rejects.toThrow(TokenRejected);
    expect((await v.verify(genuine)).requester.role).toBe('case-manager');
  });

  it('a refused token is not remembered: refused again, by a real verification each time', async () => {
    const { v, verifications } = verifier();
    const unknownRole = token({ role: 'astronaut' });
    await expect(v.verify(unknownRole)).rejects.toThrow(TokenRejected);
    await expect(v.verify(unknownRole)).rejects.toThrow(TokenRejected);
    const otherAudience = token({ aud: 'someone-else' });
    await expect(v.verify(otherAudience)).rejects.toThrow(TokenRejected);
    await expect(v.verify(otherAudience)).rejects.toThrow(TokenRejected);
    expect(verifications).toHaveBeenCalledTimes(4);
  });
});

describe('the cache is bounded', () => {
  it('keeps at most maxCachedTokens, evicting the oldest', async () => {
    const { v, verifications } = verifier({ maxCachedTokens: 3 });
    const tokens = Array.from({ length: 5 }, (_, i) => token({ sub: `cm-${i}` }));
    for (const t of tokens) await v.verify(t);
    expect(verifications).toHaveBeenCalledTimes(5);
    // The newest three are still remembered...
    for (const t of tokens.slice(2)) await v.verify(t);
    expect(verifications).toHaveBeenCalledTimes(5);
    // ...the two oldest were evicted and are verified again.
    await v.verify(tokens[0]!);
    await v.verify(tokens[1]!);
    expect(verifications).toHaveBeenCalledTimes(7);
  });

  it('maxCachedTokens 0 remembers nothing', async () => {
    const { v, verifications } = verifier({ maxCachedTokens: 0 });
    const t = token();
    await v.verify(t);
    await v.verify(t);
    expect(verifications).toHaveBeenCalledTimes(2);
  });
});
