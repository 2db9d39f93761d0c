// Point 5 of issue 19: the person's own page in a real browser (Debian's chromium, playwright-
// core), on a phone-sized viewport, against a whole stack: who read which of their data, when,
// for which purpose and case, under which law or consent, in words; their consents and what each
// releases to whom; withdrawing one; giving one after its preview. In French, German and English,
// screenshots in test-output/. Nothing of the registries reaches the page.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { storeConsentForm } from './support/consents.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';
import translations from '../lib/person-page/translations.json' with { type: 'json' };

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = new URL('../test-output/', import.meta.url).pathname;
const PAINTER = '756.1234.5678.97';
const PHONE = { width: 390, height: 844 };
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

let stack: TestStack;
let browser: Browser;
const profile = mkdtempSync(join(tmpdir(), 'ciigraph-person-page-'));
let consentId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM}: this test drives Debian's chromium (apt-get install -y chromium). It never downloads one.`);
  stack = await startTestStack();
  // Someone reads the painter's data under law, and by a consent the ORP recorded.
  const counsellor = stack.as({ institution: 'AC', role: 'counsellor', purpose: 'placement', caseReference: 'ORP-GE-2026-0412', sub: 'orp.marc' });
  const evidence = await storeConsentForm(stack.gatewayUrl, counsellor);
  const granted = await gql(stack.gatewayUrl, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`, { input: { avs: PAINTER, recipients: ['AC'], categories: ['as.benefits'], purpose: 'placement', validUntil: inDays(90), evidence } }, counsellor);
  expect(granted.body.errors).toBeUndefined();
  consentId = granted.body.data.grantConsent.id;
  const read = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { socialAssistance { openedOn benefits { monthlyAmount } } } }`, { avs: PAINTER }, counsellor);
  expect(read.body.errors).toBeUndefined();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${join(profile, 'cache')}`] });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** Opens the page as the painter (the e-ID's token in the fragment), failing on any script error, CSP violation or foreign request. */
async function open(lang: string, sub = PAINTER): Promise<{ page: Page; problems: string[]; graphql: string[] }> {
  const page = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
  const problems: string[] = [];
  const graphql: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' ? problems.push(`console: ${m.text()}`) : undefined));
  page.on('request', (r) => {
    if (!r.url().startsWith(stack.gatewayUrl)) problems.push(`external request: ${r.url()}`);
    if (r.url().endsWith('/graphql')) graphql.push(r.postData() ?? '');
  });
  const token = stack.token({ institution: 'CII', role: 'data-subject', sub });
  await page.goto(`${stack.gatewayUrl}/me?lang=${lang}#token=${token}`);
  await page.waitForSelector('#access-log li');
  return { page, problems, graphql };
}

describe("the person's page", () => {
  it('has every category, role, purpose and institution in words in French, German and English', () => {
    const catalogue = loadCatalogue();
    for (const lang of ['fr', 'de', 'en'] as const) {
      const t = translations[lang];
      for (const c of catalogue.categories) expect(t.categories[c.id as keyof typeof t.categories], `${lang} ${c.id}`).toBeTruthy();
      for (const role of stack.policy.roles.keys()) expect(t.roles[role as keyof typeof t.roles], `${lang} ${role}`).toBeTruthy();
      for (const p of stack.policy.purposes.keys()) expect(t.purposes[p as keyof typeof t.purposes], `${lang} ${p}`).toBeTruthy();
      expect(Object.keys(t.ui).sort()).toEqual(Object.keys(translations.en.ui).sort());
    }
  });

  it.each([
    ['fr', 'Qui a consulté mes données', 'un conseiller ORP', 'sur la base de votre consentement', 'en vertu de LACI art. 85f'],
    ['de', 'Wer meine Daten eingesehen hat', 'eine RAV-Beraterin', 'gestützt auf Ihre Einwilligung', 'gestützt auf LACI art. 85f'],
    ['en', 'Who read my data', 'an ORP counsellor', 'on the basis of your consent', 'under LACI art. 85f'],
  ])('says in %s who read what, when, why and under which law or consent, on a phone', async (lang, heading, reader, byConsent, byLaw) => {
    const { page, problems, graphql } = await open(lang);
    const text = await page.locator('main').innerText();
    expect(text).toContain(heading);
    expect(text).toContain(reader);
    expect(text).toContain(translations[lang as 'fr'].categories['as.benefits']);
    expect(text).toContain(byConsent);
    expect(text).toContain(byLaw);
    expect(text).toContain('ORP-GE-2026-0412');
    expect(text).toContain(translations[lang as 'fr'].purposes.placement);
    // Its consent: what it releases to whom, and the signed form.
    const card = page.locator(`[data-consent="${consentId}"]`);
    expect(await card.innerText()).toContain(translations[lang as 'fr'].institutions.AC);
    // Usable on a phone: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    // Nothing of the registries: the page asks only for the log and the consents, and shows no registry value.
    expect(graphql.every((q) => !/socialAssistance|unemployment|disability|supplementaryBenefits/.test(q))).toBe(true);
    expect(text).not.toMatch(/CHF|monthlyAmount|Hospice/);
    mkdirSync(OUTPUT, { recursive: true });
    const shot = join(OUTPUT, `person-page-${lang}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('gives a consent after its preview, then withdraws the ORP one with its button', async () => {
    const { page, problems } = await open('en');
    await page.locator('input[name="recipient"][value="AI"]').check();
    await page.locator('input[name="category"][value="ac.entitlement"]').check();
    await page.locator('input[name="category"][value="ai.medical"]').check();
    await page.locator('select[name="purpose"]').selectOption('cii');
    await page.locator('#give button[type="submit"]').click();
    await page.waitForSelector('.preview li');
    const preview = await page.locator('.preview').innerText();
    expect(preview).toContain('an AI case manager');
    expect(preview).toContain('released by this consent, within an open case');
    expect(preview).toContain('DailyAllowanceEntitlement');
    // The AI reads its own medical file by law: the preview says the consent changes nothing there.
    expect(preview).toMatch(/medical file \(diagnoses\) — already released by law/);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'person-page-preview.png'), fullPage: true });
    await page.locator('.preview button.primary').click();
    await page.waitForSelector('p.notice');
    expect(await page.locator('#consents .consent').count()).toBe(2);
    expect(await page.locator('#consents').innerText()).toContain('given by yourself');

    page.once('dialog', (d) => void d.accept());
    await page.locator(`[data-consent="${consentId}"] button.danger`).click();
    await page.waitForSelector(`[data-consent="${consentId}"].revoked`);
    await page.screenshot({ path: join(OUTPUT, 'person-page-withdrawn.png'), fullPage: true });
    const dpo = await gql(stack.gatewayUrl, `query($avs: ID!) { accessLog(avs: $avs) { action role consentId } }`, { avs: PAINTER }, stack.as({ institution: 'CII', role: 'dpo' }));
    const actions = dpo.body.data.accessLog.filter((e: { role: string }) => e.role === 'data-subject').map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['CONSENT_CONFIRMED', 'CONSENT_REVOKED']));
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows another token's holder nothing of the painter", async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(`${stack.gatewayUrl}/me?lang=en#token=${stack.token({ institution: 'CII', role: 'data-subject', sub: '756.9876.5432.17' })}`);
    await page.waitForSelector('main h2');
    const text = await page.locator('main').innerText();
    expect(text).not.toContain('ORP-GE-2026-0412');
    expect(text).not.toContain(consentId);
    await page.close();
  });
});
