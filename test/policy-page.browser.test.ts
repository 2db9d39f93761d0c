// The policy review page in a real browser (Debian's chromium driven by playwright-core): it
// renders under its own Content Security Policy, the institution / role / category filters
// hide and show the right rows, and the run leaves a screenshot in test-output/ for a human
// to look at. A missing chromium is a failure, not a skip: CI installs it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../lib/access/policy.ts';
import { renderPolicyHtml } from '../lib/policy-review/html.ts';
import { buildPolicyReview, type PolicyReview } from '../lib/policy-review/model.ts';
import { createPolicyPageRoute } from '../lib/policy-review/routes.ts';
import { loadCatalogue, type Institution } from '../lib/schema/catalogue.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = new URL('../test-output/', import.meta.url).pathname;

const catalogue = loadCatalogue();
const policy = loadPolicy(catalogue);
const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
const review: PolicyReview = buildPolicyReview(policy, catalogue, sdl);

/** What the page should show for a set of filters, computed from the model, not the page. */
function expected(f: { institution?: Institution; role?: string; category?: string; sensitive?: boolean }) {
  const groups = review.groups.filter((g) => (!f.institution || g.institutions.includes(f.institution)) && (!f.role || g.role === f.role));
  const categories = review.categories.filter((c) => (!f.category || c.id === f.category) && (!f.sensitive || c.sensitive));
  const rules = groups.reduce((n, g) => n + categories.filter((c) => g.cells[c.id]!.kind !== 'none').length, 0);
  return { groups: groups.length, categories: categories.length, rules };
}
const ALL = expected({});

let browser: Browser;
let server: Server;
let baseUrl: string;
const profile = mkdtempSync(join(tmpdir(), 'ciigraph-chromium-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No browser at ${CHROMIUM}: this test drives Debian's chromium (apt-get install -y chromium, which .ci/run does). It never downloads one.`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${join(profile, 'cache')}`],
  });
  // The gateway's handler itself, behind a bare server: the page arrives with its CSP header.
  const handler = createPolicyPageRoute(policy, catalogue, sdl);
  server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/policy') {
      res.writeHead(404).end();
      return;
    }
    void handler(req, res, { requestId: 'browser-test', requester: { institution: 'CII', role: 'dpo', subject: 'dpo-test' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(profile, { recursive: true, force: true });
});

/** Opens the page and fails on any script error or CSP violation the browser reports. */
async function open(url = `${baseUrl}/policy`, viewport = { width: 1440, height: 1000 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (r.url() !== url.split('#')[0] && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`);
  });
  await page.goto(url);
  // Set by the page's script when its filters are wired: it ran, the CSP let it.
  await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
  return { page, problems };
}

/** Elements the browser actually renders (not just our hidden attribute). */
const shown = (page: Page, selector: string) =>
  page.evaluate((sel) => Array.from(document.querySelectorAll(sel)).filter((el) => (el as HTMLElement).checkVisibility()).length, selector);

const counts = async (page: Page) => ({
  groups: await shown(page, '#matrix thead th[data-filter]'),
  categories: await shown(page, '#matrix tbody tr[data-filter]'),
  rules: await shown(page, '#rules tbody tr[data-filter]'),
});

describe('the policy review page in Chromium', () => {
  it('renders: title, every category, the rules as the policy says, and a screenshot', async () => {
    const { page, problems } = await open();
    expect(await page.title()).toBe(`Access policy review: ${policy.name} (${policy.version})`);
    await expect(page.locator('h1').textContent()).resolves.toBe(policy.name);

    // Every catalogued category has its row in the matrix, and a block in the field list.
    const rows = await page.locator('#matrix tbody tr[data-category]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.category));
    expect(rows).toEqual(catalogue.categories.map((c) => c.id));
    expect(rows.length).toBeGreaterThanOrEqual(16);
    expect(await counts(page)).toEqual(ALL);

    // Known cells of DOMAIN.md's table.
    const cell = (key: string) => page.locator(`td[data-cell="${key}"]`);
    await expect(cell('case-manager@AI|ac.entitlement').textContent()).resolves.toBe('consentif open case');
    await expect(cell('case-manager@AI|ac.entitlement').getAttribute('class')).resolves.toBe('cell consent');
    await expect(cell('counsellor@AC|ai.medical').textContent()).resolves.toBe('never');
    await expect(cell('case-manager@AI|ac.registration').innerText()).resolves.toBe('LPGA art. 32 al. 1 et 2\nif purpose stated · case reference · open case');
    await expect(cell('dpo@AC+AI+AS+PC+CII|ai.medical').textContent()).resolves.toBe('no rule');
    // The colours tell the kinds apart.
    const bg = (key: string) => cell(key).evaluate((el) => getComputedStyle(el).backgroundColor);
    const [consent, never, legal] = await Promise.all([bg('case-manager@AI|ac.entitlement'), bg('counsellor@AC|ai.medical'), bg('case-manager@AI|ac.registration')]);
    expect(new Set([consent, never, legal]).size).toBe(3);

    await expect(page.locator('#legal-bases .basis h3').allTextContents()).resolves.toEqual([...policy.legalBases.values()].map((b) => b.citation));
    await expect(page.locator('#categories tr[data-field="DailyAllowanceEntitlement.remainingDays"]').isVisible()).resolves.toBe(true);

    mkdirSync(OUTPUT, { recursive: true });
    const shot = join(OUTPUT, 'policy-page.png');
    rmSync(shot, { force: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters by institution, role, category and sensitivity, and shows everything again', async () => {
    const { page, problems } = await open();
    const pick = (id: string, value: string) => page.selectOption(`#${id}`, value);

    await pick('f-institution', 'AC');
    const ac = expected({ institution: 'AC' });
    // The sample: the counsellor, the CII referent and the DPO work at AC.
    expect(ac.groups).toBe(3);
    expect(await counts(page)).toEqual(ac);
    await expect(page.locator('[data-count="rules"]').first().textContent()).resolves.toBe(`${ac.rules} of ${ALL.rules}`);
    await expect(shown(page, 'td[data-cell^="case-manager@"]')).resolves.toBe(0);
    await expect(shown(page, 'td[data-cell^="counsellor@AC|"]')).resolves.toBe(catalogue.categories.length);

    await pick('f-category', 'ai.medical');
    const acMedical = expected({ institution: 'AC', category: 'ai.medical' });
    expect(await counts(page)).toEqual(acMedical);
    expect(acMedical.rules).toBe(2);
    await expect(page.locator('#rules tbody tr[data-filter]:visible td:nth-child(3)').allTextContents()).resolves.toEqual(['never', 'never']);

    // A role that does not exist at AC: nothing, and the page says so.
    await pick('f-role', 'case-manager');
    expect(await counts(page)).toEqual({ groups: 0, categories: 1, rules: 0 });
    await expect(page.locator('#rules-empty').isVisible()).resolves.toBe(true);
    await expect(page.locator('#matrix-empty').isVisible()).resolves.toBe(true);

    await page.click('#f-reset');
    expect(await counts(page)).toEqual(ALL);
    await expect(page.locator('#rules-empty').isVisible()).resolves.toBe(false);

    await pick('f-role', 'case-manager');
    const cm = expected({ role: 'case-manager' });
    expect(await counts(page)).toEqual(cm);
    expect(cm.groups).toBe(1);
    await expect(shown(page, '#roles tbody tr[data-role]')).resolves.toBe(1);
    await pick('f-role', '');

    await page.check('#f-sensitive');
    const sensitive = expected({ sensitive: true });
    expect(await counts(page)).toEqual(sensitive);
    expect(sensitive.categories).toBe(catalogue.categories.filter((c) => c.sensitive).length);
    await expect(shown(page, '#matrix tbody tr[data-category="ac.entitlement"]')).resolves.toBe(0);
    await expect(shown(page, '#categories .category[data-category="ac.entitlement"]')).resolves.toBe(0);
    await expect(shown(page, '#categories .category[data-category="ai.medical"]')).resolves.toBe(1);

    expect(problems).toEqual([]);
    await page.close();
  });

  it('keeps the filters in the address, so a filtered view can be shared and reloaded', async () => {
    const { page } = await open(`${baseUrl}/policy#institution=AS&category=ac.entitlement`);
    await expect(page.locator('#f-institution').inputValue()).resolves.toBe('AS');
    expect(await counts(page)).toEqual(expected({ institution: 'AS', category: 'ac.entitlement' }));
    await page.selectOption('#f-role', 'social-worker');
    expect(new URL(page.url()).hash).toBe('#institution=AS&role=social-worker&category=ac.entitlement');
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    expect(await counts(page)).toEqual(expected({ institution: 'AS', role: 'social-worker', category: 'ac.entitlement' }));
    await page.close();
  });

  it('works offline from a file, as npm run policy:report writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ciigraph-policy-page-'));
    try {
      const file = join(dir, 'policy.html');
      writeFileSync(file, renderPolicyHtml(review).html);
      const { page, problems } = await open(pathToFileURL(file).href);
      await page.selectOption('#f-institution', 'PC');
      expect(await counts(page)).toEqual(expected({ institution: 'PC' }));
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
