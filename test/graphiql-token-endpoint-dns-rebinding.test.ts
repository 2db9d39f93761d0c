// The development IDE's token endpoint cannot be reached through DNS rebinding: it answers
// only requests whose Host and Origin are the configured loopback names and that carry the
// one-time secret of the page served to that origin (each secret opens it once). Proven over
// raw HTTP with forged Host and Origin headers, and in Chromium with a name that resolves to
// 127.0.0.1 (--host-resolver-rules), as a rebound attacker's page would.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageSecret } from './support/ide-page.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const REBOUND = 'rebind.attacker.example';
let stack: TestStack;
let port: number;

beforeAll(async () => {
  stack = await startTestStack();
  port = Number(new URL(stack.gatewayUrl).port);
});
afterAll(async () => stack?.close());

/** POST /graphiql/token with exactly these headers (Host included), over raw HTTP. */
function postToken(headers: Record<string, string>, body: unknown = { institution: 'AI', role: 'dpo' }): Promise<{ status: number; body: { token?: string; secret?: string; error?: string } }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/graphiql/token', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const local = (name: string) => `${name}:${port}`;

describe('the token endpoint over raw HTTP', () => {
  it('issues a token the gateway accepts to the page on a loopback name, with its secret, once per secret', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const secret = await pageSecret(stack.gatewayUrl, local(name));
      const ok = await postToken({ host: local(name), origin: `http://${local(name)}`, 'x-ciigraph-ide-secret': secret });
      expect(ok.status, name).toBe(200);
      const r = await gql(stack.gatewayUrl, '{ __typename }', {}, { authorization: `Bearer ${ok.body.token}` });
      expect(r.status).toBe(200);
      // The same secret again: refused. The one the answer handed over: accepted, once.
      expect((await postToken({ host: local(name), origin: `http://${local(name)}`, 'x-ciigraph-ide-secret': secret })).status).toBe(403);
      const next = await postToken({ host: local(name), origin: `http://${local(name)}`, 'x-ciigraph-ide-secret': ok.body.secret! });
      expect(next.status).toBe(200);
    }
  });

  it.each([
    ['a rebound Host and its own Origin (same-origin for the browser)', { host: local(REBOUND), origin: `http://${local(REBOUND)}` }],
    ['a loopback Host but a rebound Origin', { host: local('127.0.0.1'), origin: `http://${local(REBOUND)}` }],
    ['a rebound Host and a loopback Origin', { host: local(REBOUND), origin: `http://${local('127.0.0.1')}` }],
    ['no Origin at all', { host: local('127.0.0.1') }],
    ['another loopback name as Origin (cross-origin)', { host: local('127.0.0.1'), origin: `http://${local('localhost')}` }],
    ['a loopback Origin on another port', { host: local('127.0.0.1'), origin: `http://127.0.0.1:${port + 1}` }],
    ['a 127.x address that is not a configured name', { host: `127.0.0.2:${port}`, origin: `http://127.0.0.2:${port}` }],
  ])('refuses %s, even with a valid secret', async (_, headers) => {
    const secret = await pageSecret(stack.gatewayUrl);
    const res = await postToken({ ...headers, 'x-ciigraph-ide-secret': secret });
    expect(res.status).toBe(403);
    expect(res.body.token).toBeUndefined();
  });

  it('refuses a request from the right origin without the secret, or with one it made up', async () => {
    const h = { host: local('127.0.0.1'), origin: `http://${local('127.0.0.1')}` };
    expect((await postToken(h)).status).toBe(403);
    expect((await postToken({ ...h, 'x-ciigraph-ide-secret': 'A'.repeat(32) })).status).toBe(403);
  });

  it('does not serve the page (and so its secret) under a rebound name', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/graphiql', headers: { host: local(REBOUND) } }, (r) => {
        let data = '';
        r.on('data', (d) => (data += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: data }));
      })
        .on('error', reject)
        .end();
    });
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('ide-config');
  });
});

describe('in Chromium, a page under a name that resolves to 127.0.0.1', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM} (apt-get install -y chromium, which .ci/run does).`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`],
    });
  }, 60_000);
  afterAll(async () => browser?.close());

  it('gets neither the IDE page nor a token, while the same browser gets both under localhost', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const rebound = await page.goto(`http://${local(REBOUND)}/graphiql`);
      expect(rebound?.status()).toBe(403);
      // The attacker's script, same-origin with the rebound name, tries the endpoint directly.
      const attempt = await page.evaluate(async () => {
        const res = await fetch('/graphiql/token', { method: 'POST', headers: { 'content-type': 'application/json', 'x-ciigraph-ide-secret': 'guess' }, body: JSON.stringify({ institution: 'AI', role: 'dpo' }) });
        return { status: res.status, body: await res.text() };
      });
      expect(attempt.status).toBe(403);
      expect(attempt.body).not.toContain('token"');

      const genuine = await page.goto(`http://${local('localhost')}/graphiql`);
      expect(genuine?.status()).toBe(200);
      await page.waitForFunction(() => document.documentElement.dataset.requester !== undefined, undefined, { timeout: 20_000 });
      expect(await page.evaluate(() => document.documentElement.dataset.requester)).toBe('AI/case-manager');
    } finally {
      await context.close();
    }
  });
});
