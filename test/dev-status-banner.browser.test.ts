// npm run dev's banner on the GraphiQL page, in a real browser (Debian's chromium via
// playwright-core): it shows what became of the developer's last change (not served because
// it does not compose, with the composition errors; served with breaking changes; served) and
// follows the loop's state as it changes, without a reload. A missing chromium is a failure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../lib/access/policy.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { createGraphiqlRoute, type DevStatus } from '../gateway/graphiql/index.ts';

const CHROMIUM = '/usr/bin/chromium';
let status: DevStatus = {
  state: 'failed',
  summary: "unemployment's SDL does not compose: the previous version is still served",
  details: ['Composition errors:', '  - Type of field "Person.avs" is incompatible across subgraphs'],
  at: new Date().toISOString(),
};
let browser: Browser;
let server: Server;
let url: string;
const profile = mkdtempSync(join(tmpdir(), 'ciigraph-dev-banner-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM}: apt-get install -y chromium (.ci/run does).`);
  const route = createGraphiqlRoute({ policy: loadPolicy(loadCatalogue()), devStatus: () => status });
  server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (route.handles(pathname)) void route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphiql`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', `--disk-cache-dir=${join(profile, 'cache')}`] });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  rmSync(profile, { recursive: true, force: true });
});

describe('the npm run dev banner above GraphiQL', () => {
  it('shows a change that does not compose with its errors, then follows the loop to a served breaking change', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(url);
      const banner = page.locator('#dev-status');
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: 20_000 }).toBe('failed');
      expect(await banner.locator('.summary').textContent()).toContain('does not compose: the previous version is still served');
      expect(await banner.locator('.details').textContent()).toContain('Type of field "Person.avs" is incompatible');
      expect(await banner.locator('.details').isVisible()).toBe(true);

      status = { state: 'warning', summary: 'unemployment from the working tree, with 1 breaking change(s) for clients', details: ['Breaking changes (clients will fail):', '  - UnemploymentFile.counsellor was removed.'], at: new Date().toISOString() };
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: 20_000 }).toBe('warning');
      expect(await banner.locator('.details').textContent()).toContain('UnemploymentFile.counsellor was removed');

      status = { state: 'served', summary: 'unemployment from the working tree, no change against schema/supergraph.graphql', details: [], at: new Date().toISOString() };
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: 20_000 }).toBe('served');
      expect(await banner.locator('.details').isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('is not on the page outside npm run dev', async () => {
    const route = createGraphiqlRoute({ policy: loadPolicy(loadCatalogue()) });
    const s = createServer((req, res) => void route(req, res));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const html = await (await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/graphiql`)).text();
      expect(html).not.toContain('dev-status');
      expect((await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/graphiql/dev-status`)).status).toBe(404);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});
