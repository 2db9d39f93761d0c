// The gateway's front door: a CORS allowlist for browser-based case platforms; per-client
// rate limits shared by every gateway instance through Redis (429 with Retry-After); slow
// clients cut off (headers and whole-request deadlines); /metrics and /readyz on an admin
// port of their own.
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSecret } from '../lib/auth/dev-issuer.ts';
import { startGateway, type GatewayService } from '../gateway/server.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const QUERY = `query($avs: ID!) { person(avs: $avs) { disability { status } } }`;
const CASE_PLATFORM = 'https://case.ge.example';

let redis: RedisServerHandle;
let stack: TestStack;
/** A second gateway instance over the same subgraphs and the same Redis. */
let twin: GatewayService;

beforeAll(async () => {
  redis = await startRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-front-door-'));
  stack = await startTestStack({
    env: {
      REDIS_URL: redis.url,
      DEV_TOKEN_SECRET_FILE: join(dir, 'dev-token-secret'),
      CORS_ALLOWED_ORIGINS: `${CASE_PLATFORM}, https://other.ge.example`,
      RATE_LIMIT_REQUESTS: '6',
      RATE_LIMIT_WINDOW_S: '600',
      RATE_LIMIT_CLIENTS: JSON.stringify({ 'bulk-import': { requests: 2, windowS: 600 } }),
      HEADERS_TIMEOUT_MS: '400',
      REQUEST_TIMEOUT_MS: '800',
      ADMIN_PORT: '0',
    },
  });
  twin = await startGateway({ config: stack.config, policy: stack.policy, credentialKeys: stack.credentialKeys, port: 0, adminPort: 0 });
});
afterAll(async () => {
  await twin?.close();
  await stack?.close();
  await redis?.stop();
});

/** A development token of the AI case manager with this subject and, optionally, a calling client (azp). */
function token(sub: string, azp?: string): string {
  const { issuer, audience, devSecretFile } = stack.config.auth;
  return jwt.sign({ institution: 'AI', role: 'case-manager', ...(azp ? { azp } : {}) }, devSecret(devSecretFile), { algorithm: 'HS256', subject: sub, issuer, audience, expiresIn: 300 });
}
const ask = (url: string, t: string, headers: Record<string, string> = {}) => gql(url, QUERY, { avs: PAINTER }, { authorization: `Bearer ${t}`, ...headers });

describe('CORS allowlist', () => {
  it("answers an allowed origin's preflight, naming that origin and the headers a case platform sends", async () => {
    const res = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: CASE_PLATFORM, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-purpose' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(CASE_PLATFORM);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization.*content-type.*x-purpose.*x-case-reference/);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('lets an allowed origin read the answer and its request id', async () => {
    const { status, body } = await ask(stack.gatewayUrl, token('cors-1'), { origin: CASE_PLATFORM });
    expect(status).toBe(200);
    expect(body.data.person.disability.status).toBe('EARLY_INTERVENTION');
    const raw = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { origin: CASE_PLATFORM, 'content-type': 'application/json', authorization: `Bearer ${token('cors-1')}` },
      body: JSON.stringify({ query: QUERY, variables: { avs: PAINTER } }),
    });
    expect(raw.headers.get('access-control-allow-origin')).toBe(CASE_PLATFORM);
    expect(raw.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('refuses any other origin before anything runs: no preflight, no answer', async () => {
    for (const origin of ['https://evil.example', 'https://case.ge.example.evil.example', 'null', `${CASE_PLATFORM}:8443`]) {
      const pre = await fetch(`${stack.gatewayUrl}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(pre.status, origin).toBe(403);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const { status, body } = await ask(stack.gatewayUrl, token('cors-2'), { origin });
      expect(status, origin).toBe(403);
      expect(body.errors?.[0]?.extensions?.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(body.data).toBeUndefined();
    }
  });

  it('serves requests without an Origin (servers) and same-origin requests (its own pages) as before', async () => {
    expect((await ask(stack.gatewayUrl, token('cors-3'))).status).toBe(200);
    expect((await ask(stack.gatewayUrl, token('cors-3'), { origin: stack.gatewayUrl })).status).toBe(200);
  });
});

describe('per-client rate limits, shared by every gateway instance through Redis', () => {
  it('counts one budget across both instances, answers 429 with Retry-After past it, and leaves other clients alone', async () => {
    const t = token('someone', 'case-platform-ge');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask(i % 2 ? twin.url : stack.gatewayUrl, t)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    for (const url of [stack.gatewayUrl, twin.url]) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
        body: JSON.stringify({ query: QUERY, variables: { avs: PAINTER } }),
      });
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
      const body = await res.json();
      expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(body.data).toBeUndefined();
    }
    // The same person through another application, and another client, have budgets of their own.
    expect((await ask(twin.url, token('someone', 'another-platform'))).status).toBe(200);
    expect((await ask(stack.gatewayUrl, token('someone-else'))).status).toBe(200);
  });

  it("applies a client's own budget where the configuration gives one", async () => {
    const t = token('importer', 'bulk-import');
    expect((await ask(stack.gatewayUrl, t)).status).toBe(200);
    expect((await ask(twin.url, t)).status).toBe(200);
    expect((await ask(stack.gatewayUrl, t)).status).toBe(429);
  });
});

/** Opens a raw connection, sends `chunks` with `gapMs` between them, and resolves with what the server answered before closing. */
function dribble(url: string, chunks: string[], gapMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    let i = 0;
    socket.on('data', (d) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    const next = () => {
      if (socket.destroyed || i >= chunks.length) return;
      socket.write(chunks[i++]!);
      setTimeout(next, gapMs).unref();
    };
    socket.on('connect', next);
  });
}

describe('slow clients', () => {
  it('are cut off when their headers take too long (408, connection closed)', async () => {
    const headers = ['POST /graphql HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    const answer = await dribble(stack.gatewayUrl, headers, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('are cut off when their body takes too long (408, connection closed, nothing executed)', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const head = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nAuthorization: Bearer ${token('slow')}\r\n\r\n`;
    const answer = await dribble(stack.gatewayUrl, [head, ...body.split('')], 150);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).not.toContain('__typename');
  });
});

describe('the admin port', () => {
  it('serves /metrics and /readyz there, and neither on the public port', async () => {
    expect(stack.adminUrl).not.toBe(stack.gatewayUrl);
    const metrics = await fetch(`${stack.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ciigraph_requests_total');
    const ready = await fetch(`${stack.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).status).toBe('ready');
    for (const path of ['/metrics', '/readyz', '/credential-keys']) expect((await fetch(`${stack.gatewayUrl}${path}`)).status, path).toBe(404);
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
  });
});
