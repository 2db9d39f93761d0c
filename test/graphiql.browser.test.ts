// The offline GraphQL IDE (gateway/graphiql/) in a real browser (Debian's chromium driven by
// playwright-core), against a test stack: the page and GraphiQL load from this server only
// (every other request is refused and recorded, and there must be none), the requester
// picker fills the headers from a development token, the prefilled painter query shows his
// data to his AI case manager and FORBIDDEN to a data-protection officer, and the run leaves
// a screenshot in test-output/graphiql.png. A missing chromium is a failure, not a skip.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphiqlRoute, devTokenIssuer, type GraphiqlRoute } from '../gateway/graphiql/index.ts';
import { pageSecret } from './support/ide-page.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = new URL('../test-output/', import.meta.url).pathname;
const require = createRequire(import.meta.url);

let stack: TestStack;
let browser: Browser;
let server: Server;
let baseUrl: string;
let route: GraphiqlRoute;
const profile = mkdtempSync(join(tmpdir(), 'ciigraph-graphiql-'));

/** POST /graphql to the stack's gateway, as the gateway itself would serve it on one origin. */
async function proxyGraphql(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'accept', 'authorization', 'x-purpose', 'x-case-reference']) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  const upstream = await fetch(`${stack.gatewayUrl}/graphql`, { method: 'POST', headers, body: Buffer.concat(chunks) });
  const body = Buffer.from(await upstream.arrayBuffer());
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'content-length': String(body.length) });
  res.end(body);
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> {
  const s = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No browser at ${CHROMIUM}: this test drives Debian's chromium (apt-get install -y chromium, which .ci/run does). It never downloads one.`);
  }
  stack = await startTestStack();
  // The stack's own development secret: the tokens the page gets are ones its gateway accepts.
  route = createGraphiqlRoute({ policy: stack.policy, tokenIssuer: devTokenIssuer(stack.config) });
  ({ server, url: baseUrl } = await serve(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (route.handles(pathname)) return route(req, res);
    if (pathname === '/graphql' && req.method === 'POST') return proxyGraphql(req, res);
    res.writeHead(404).end();
  }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${join(profile, 'cache')}`],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await stack?.close();
  rmSync(profile, { recursive: true, force: true });
});

describe('the IDE over HTTP', () => {
  it('serves the page with a CSP that allows this origin only, and every script and style from its own routes', async () => {
    const res = await fetch(`${baseUrl}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toHaveLength(6);
    for (const ref of refs) expect(ref).toMatch(/^\/graphiql\/assets\//);
    // The policy's roles and purposes are the picker's options.
    for (const role of stack.policy.roles.keys()) expect(html).toContain(`<option value="${role}"`);
    for (const purpose of stack.policy.purposes.keys()) expect(html).toContain(`<option value="${purpose}"`);
    expect(html).toContain('756.1234.5678.97');
  });

  it('streams GraphiQL and React from node_modules with their content types, cached for good under versioned URLs', async () => {
    const html = await (await fetch(`${baseUrl}/graphiql`)).text();
    const expected: Array<[RegExp, string, string]> = [
      [/\/graphiql\/assets\/react@18\.\d+\.\d+\/react\.production\.min\.js/, 'text/javascript; charset=utf-8', require.resolve('react/package.json').replace('package.json', 'umd/react.production.min.js')],
      [/\/graphiql\/assets\/react-dom@18\.\d+\.\d+\/react-dom\.production\.min\.js/, 'text/javascript; charset=utf-8', require.resolve('react-dom/package.json').replace('package.json', 'umd/react-dom.production.min.js')],
      [/\/graphiql\/assets\/graphiql@3\.8\.2\/graphiql\.min\.js/, 'text/javascript; charset=utf-8', require.resolve('graphiql/graphiql.min.js')],
      [/\/graphiql\/assets\/graphiql@3\.8\.2\/graphiql\.min\.css/, 'text/css; charset=utf-8', require.resolve('graphiql/graphiql.min.css')],
    ];
    for (const [pattern, type, file] of expected) {
      const path = html.match(pattern)?.[0];
      expect(path, String(pattern)).toBeDefined();
      const res = await fetch(`${baseUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file)), path).toBe(true);
      const again = await fetch(`${baseUrl}${path}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status, path).toBe(304);
    }
    // Only the listed files: nothing else of the disk is reachable.
    for (const path of ['/graphiql/assets/graphiql@3.8.2/package.json', '/graphiql/assets/graphiql@3.8.2/..%2F..%2Fpackage.json', '/graphiql/assets/../../package.json']) {
      expect((await fetch(`${baseUrl}${path}`)).status, path).toBe(404);
    }
  });

  it('issues a development token the gateway accepts, for a role that exists at the institution only, to same-origin JSON requests only', async () => {
    // As the page sends it: from its own origin, with the one-time secret it was served with.
    const post = async (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json', origin: baseUrl }) =>
      fetch(`${baseUrl}/graphiql/token`, { method: 'POST', headers: { 'x-ciigraph-ide-secret': await pageSecret(baseUrl), ...headers }, body: JSON.stringify(body) });
    const ok = await post({ institution: 'AI', role: 'case-manager' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const { token } = (await ok.json()) as { token: string };
    const r = await gql(stack.gatewayUrl, '{ person(avs: "756.1234.5678.97") { disability { status } } }', {}, { authorization: `Bearer ${token}` });
    expect(r.body.data?.person?.disability?.status).toBe('EARLY_INTERVENTION');

    expect((await post({ institution: 'AC', role: 'case-manager' })).status).toBe(400);
    expect((await post({ institution: 'XX', role: 'dpo' })).status).toBe(400);
    expect((await post({ institution: 'AI', role: 'dpo', purpose: 'gossip' })).status).toBe(400);
    expect((await post({ institution: 'AI', role: 'dpo' }, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ institution: 'AI', role: 'dpo' }, { 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
    expect((await fetch(`${baseUrl}/graphiql/token`)).status).toBe(405);
  });

  it('offers the development issuer only in development, without an identity provider key, on loopback', () => {
    expect(devTokenIssuer(stack.config)).toBeTypeOf('function');
    expect(devTokenIssuer({ ...stack.config, env: 'production' })).toBeUndefined();
    expect(devTokenIssuer({ ...stack.config, host: '0.0.0.0' })).toBeUndefined();
    const idp = { issuer: 'https://idp.example', audience: ['ciigraph'], keys: { publicKeyFile: '/idp.pem' }, algorithms: ['ES256'], claims: {} as never, maxTokenLifetimeS: 3600 };
    expect(devTokenIssuer({ ...stack.config, auth: { ...stack.config.auth, issuers: [idp] } })).toBeUndefined();
  });

  it('has no token endpoint without a token issuer (the page then asks for a pasted token)', async () => {
    const bare = createGraphiqlRoute({ policy: stack.policy });
    const { server: s, url } = await serve(async (req, res) => bare(req, res));
    try {
      const token = await fetch(`${url}/graphiql/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ institution: 'AI', role: 'dpo' }) });
      expect(token.status).toBe(404);
      expect(await (await fetch(`${url}/graphiql`)).text()).toContain('paste a token');
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});

describe('the IDE in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  const outside: string[] = [];
  const problems: string[] = [];
  const graphqlRequests: Array<Record<string, string>> = [];
  const graphqlStatuses: number[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1500, height: 1300 } });
    // Offline by construction: anything not on this loopback server is refused, and recorded.
    await context.route('**/*', (r) => {
      const url = new URL(r.request().url());
      if (url.protocol === 'data:' || url.origin === baseUrl) return r.continue();
      outside.push(r.request().url());
      return r.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/graphql') graphqlRequests.push(r.headers());
    });
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/graphql') graphqlStatuses.push(r.status());
    });
    await page.goto(`${baseUrl}/graphiql`);
    // The default requester applied, GraphiQL mounted with its editors.
    await page.waitForSelector('html[data-requester="AI/case-manager"]', { timeout: 20_000 });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  const resultText = () => page.evaluate(() => (document.querySelector('.result-window .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null)?.CodeMirror.getValue() ?? '');

  async function pick(r: { institution: string; role: string; purpose: string; caseReference: string }) {
    await page.selectOption('select[name="institution"]', r.institution);
    await page.selectOption('select[name="role"]', r.role);
    await page.selectOption('select[name="purpose"]', r.purpose);
    await page.fill('input[name="caseReference"]', r.caseReference);
    await page.evaluate(() => delete document.documentElement.dataset.requester);
    await page.click('#requester button[type="submit"]');
    await page.waitForSelector(`html[data-requester="${r.institution}/${r.role}"]`);
  }

  /** Runs the editor's query and returns the parsed response once one for `marker` is shown. */
  async function run(marker: string): Promise<{ data?: any; errors?: Array<{ path?: unknown[]; extensions?: { code?: string; category?: string } }> }> {
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      (m) => ((document.querySelector('.result-window .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null)?.CodeMirror.getValue() ?? '').includes(m),
      marker,
      { timeout: 20_000 },
    );
    return JSON.parse(await resultText());
  }

  it("loads the gateway's schema through the gateway, within its depth limit: the docs explorer lists Person's fields", async () => {
    await page.click('button[aria-label="Show Documentation Explorer"]');
    // Query → its field person → the type Person.
    await page.click('.graphiql-doc-explorer a >> text="Query"');
    await page.click('.graphiql-doc-explorer a >> text="person"');
    await page.click('.graphiql-doc-explorer a >> text="Person"');
    await page.waitForSelector('.graphiql-doc-explorer-title >> text="Person"');
    const docs = (await page.locator('.graphiql-doc-explorer').textContent()) ?? '';
    for (const field of ['unemployment', 'disability', 'socialAssistance', 'supplementaryBenefits', 'consents', 'situation']) expect(docs).toContain(field);
    await page.click('button[aria-label="Hide Documentation Explorer"]');
    // The introspection request(s) passed authentication and the operation limits.
    expect(graphqlStatuses.length).toBeGreaterThan(0);
    expect(graphqlStatuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('offers, for an institution, the roles the policy has there only', async () => {
    await page.selectOption('select[name="institution"]', 'AC');
    const offered = await page.$$eval('select[name="role"] option:not([disabled])', (os) => os.map((o) => (o as HTMLOptionElement).value));
    const expected = [...stack.policy.roles.values()].filter((r) => r.institutions.includes('AC')).map((r) => r.id);
    expect(offered).toEqual(expected);
    expect(offered).not.toContain('case-manager');
  });

  it("shows the painter's data to his AI case manager, with the headers the picker filled in", async () => {
    await pick({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
    const editorQuery = await page.evaluate(() => (document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
    expect(editorQuery).toContain('person(avs: "756.1234.5678.97")');

    graphqlRequests.length = 0;
    const result = await run('ORP Genève');
    expect(result.data?.person?.disability).toMatchObject({ filedOn: '2026-06-15', status: 'EARLY_INTERVENTION' });
    expect(result.data?.person?.unemployment).toMatchObject({ registeredSince: '2026-02-02', office: 'ORP Genève – Jonction' });
    expect(result.data?.person?.socialAssistance?.center).toBe('CAS Plainpalais');
    // His entitlement and social-assistance benefits need his consent.
    expect(result.errors?.map((e) => e.extensions?.category).sort()).toEqual(['ac.entitlement', 'as.benefits']);

    const sent = graphqlRequests.at(-1)!;
    expect(sent.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sent['x-purpose']).toBe('cii');
    expect(sent['x-case-reference']).toBe('AI-GE-2026-0815');
    await expect(page.locator('#requester-status').textContent()).resolves.toMatch(/^As case-manager at AI, purpose cii, case AI-GE-2026-0815/);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'graphiql.png') });
  });

  it('shows FORBIDDEN, and none of his data, to a data-protection officer', async () => {
    await pick({ institution: 'AI', role: 'dpo', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
    const result = await run('"ai.file"');
    expect(result.data?.person).toMatchObject({ avs: '756.1234.5678.97', unemployment: null, disability: null, socialAssistance: null });
    const forbidden = result.errors?.filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => e.extensions?.category).sort();
    expect(forbidden).toEqual(['ac.registration', 'ai.file', 'as.dossier', 'pc.entitlement']);
    const text = await resultText();
    for (const value of ['ORP Genève', 'EARLY_INTERVENTION', 'Plainpalais', '2026-06-15']) expect(text).not.toContain(value);
  });

  it('attempted no request outside this server, and reported no script error or CSP violation', () => {
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    expect(graphqlStatuses.filter((s) => s !== 200)).toEqual([]);
  });
});
