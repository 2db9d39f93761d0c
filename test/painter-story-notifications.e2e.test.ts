// Issue 23, points 3 and 4: the painter's story walked on a whole stack over HTTP, with the
// mocks' clock moved day by day and the institutions opening their cases as they take him on.
// The ORP registration, the social-assistance dossier, the AI filing, the AI decision, the
// entitlement running out and the AI file closing are noticed by a registry's push or the
// scheduled comparison (one batched call per registry per run); each is told to the
// institutions with an open case whose role the policy releases the category to (social
// assistance by signed webhook to a local receiver, the ORP by polling the feed), journaled;
// the CII without a consent, the PC without a case and a person with no case elsewhere are
// told nothing and leave no trace.
import { mkdtempSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKey } from '../lib/auth/dev-issuer.ts';
import { MemoryCaseRepertory } from '../lib/cases/memory.ts';
import { verifyWebhook, webhookSigningKey } from '../lib/notifications/webhooks.ts';
import { REGISTRY_SUBGRAPHS } from '../lib/config.ts';
import { INGEST_PATH } from '../bin/notifications.ts';
import { PAINTER_STORY } from '../mocks/story.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const ORP_ONLY = '756.9876.5432.17';
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-story-'));
let now = new Date('2026-01-20T08:00:00Z');
let stack: TestStack;
let receiver: Server;
const webhooks: { headers: IncomingMessage['headers']; body: string }[] = [];
let publicKeys: ReadonlyMap<string, KeyObject>;

const OPEN = 'mutation($input: OpenCaseInput!) { openCase(input: $input) { caseReference } }';
const FEED = 'query($since: ID) { notifications(since: $since) { id cursor rule source avs category about caseReference } }';
const staff = {
  AC: { institution: 'AC', role: 'counsellor' },
  AI: { institution: 'AI', role: 'case-manager' },
  AS: { institution: 'AS', role: 'social-worker' },
  PC: { institution: 'PC', role: 'pc-officer' },
  CII: { institution: 'CII', role: 'cii-referent' },
} as const;

async function on(day: string): Promise<void> {
  now = new Date(`${day}T08:00:00Z`);
  stack.mocks!.setToday(day);
}

async function openCase(who: keyof typeof staff, avs: string, caseReference: string): Promise<void> {
  const r = await gql(stack.gatewayUrl, OPEN, { input: { avs, caseReference } }, stack.as(staff[who]));
  expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
}

async function push(subgraph: string, avs: string[]): Promise<number> {
  const url = stack.config.subgraphUrls[subgraph as 'unemployment'].replace(/\/graphql$/, INGEST_PATH);
  const token = localKey(join(dir, 'push-token')).toString('hex');
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ avs }) });
  return res.status;
}

/** One scheduled comparison of every registry: at most one call to each. */
async function scan(): Promise<void> {
  const before = { ...stack.mocks!.calls };
  await stack.notifications.scan();
  for (const r of REGISTRY_SUBGRAPHS) expect(stack.mocks!.calls[r] - before[r], r).toBeLessThanOrEqual(1);
}

async function feed(who: keyof typeof staff, since?: string) {
  const r = await gql(stack.gatewayUrl, FEED, since ? { since } : {}, stack.as(staff[who]));
  expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
  return r.body.data!.notifications as { id: string; cursor: string; rule: string; source: string; avs: string; category: string; about: string; caseReference: string }[];
}

const told = async (who: keyof typeof staff) => (await feed(who)).map((n) => `${n.rule} ${n.source} ${n.category} ${n.about}`);
const hooked = () => webhooks.map((w) => JSON.parse(w.body) as { rule: string; source: string; category: string; about: string }).map((n) => `${n.rule} ${n.source} ${n.category} ${n.about}`);

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    webhooks.push({ headers: req.headers, body });
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  stack = await startTestStack({
    clock: { now: () => now },
    // The repertory starts empty: the institutions open their cases as the story goes.
    cases: new MemoryCaseRepertory(),
    env: {
      NOTIFICATION_WEBHOOKS: JSON.stringify({ AS: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` }),
      NOTIFICATION_SIGNING_KEY_FILE: join(dir, 'notification-key.pem'),
      NOTIFICATION_KEY_ID: 'story-key-1',
      NOTIFICATION_WEBHOOK_INTERVAL_S: '3600',
      REGISTRY_PUSH_TOKEN_FILE: join(dir, 'push-token'),
    },
  });
  stack.mocks!.setToday('2026-01-20');
  const key = webhookSigningKey(join(dir, 'notification-key.pem'), 'story-key-1', false);
  publicKeys = new Map([['story-key-1', createPublicKey(key.privateKey)]]);
});

afterAll(async () => {
  await stack?.close();
  await new Promise<void>((r) => receiver?.close(() => r()));
});

describe("the painter's story, told to whom it concerns", () => {
  it('ORP registration: the ORP alone handles him, so a push tells no one, looks nothing up and leaves no trace', async () => {
    await on(PAINTER_STORY.orpRegistration);
    await openCase('AC', PAINTER, 'ORP-GE-2026-0412');
    await openCase('AC', ORP_ONLY, 'ORP-VD-2025-3301');
    stack.mocks!.resetCounters();
    expect(await push('unemployment', [PAINTER, ORP_ONLY])).toBe(202);
    await scan();
    expect(stack.mocks!.lookups).toEqual([]);
    for (const who of ['AC', 'AI', 'AS', 'PC', 'CII'] as const) expect(await feed(who)).toEqual([]);
    const log = await stack.audit.query({ avs: PAINTER, first: 100 });
    expect(log.map((e) => [e.action, e.institution])).toEqual([['CASE_OPENED', 'AC']]);
  });

  it('social assistance: the dossier is pushed to the ORP (feed); the ORP registration, seen by the comparison, goes to social assistance (signed webhook)', async () => {
    await on(PAINTER_STORY.socialAssistance);
    await openCase('AS', PAINTER, 'HG-GE-2026-1187');
    expect(await push('social-assistance', [PAINTER])).toBe(202);
    await scan();
    expect(await told('AC')).toEqual(['file-opened-or-closed AS as.dossier 2026-03-02']);
    expect(await stack.notifications.dispatch()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(hooked()).toEqual(['file-opened-or-closed AC ac.registration 2026-02-02']);
    const [w] = webhooks;
    expect(verifyWebhook(w!.headers, w!.body, publicKeys)).toBe(true);
    expect(JSON.parse(w!.body)).toMatchObject({ avs: PAINTER, recipient: 'AS', caseReference: 'HG-GE-2026-1187' });
    // Pushed again and compared again: nothing new, nothing twice.
    expect(await push('social-assistance', [PAINTER])).toBe(202);
    await scan();
    expect(await told('AC')).toHaveLength(1);
  });

  it('AI filing: the ORP and social assistance are told; the CII referent, who reads by consent only, is not', async () => {
    await on(PAINTER_STORY.aiFiling);
    await openCase('AI', PAINTER, 'AI-GE-2026-0815');
    await openCase('CII', PAINTER, 'CII-GE-2026-0042');
    await scan();
    expect((await told('AC')).at(-1)).toBe('file-opened-or-closed AI ai.file 2026-06-15');
    await stack.notifications.dispatch();
    expect(hooked().at(-1)).toBe('file-opened-or-closed AI ai.file 2026-06-15');
    expect(await feed('CII')).toEqual([]);
  });

  it('AI decision: told to the ORP and social assistance, under their own cases', async () => {
    await on(PAINTER_STORY.aiDecision);
    await scan();
    const ac = await feed('AC');
    expect(ac.at(-1)).toMatchObject({ rule: 'ai-decision', category: 'ai.decision', about: '2026-12-14', caseReference: 'ORP-GE-2026-0412', avs: PAINTER });
    // The feed continues from a cursor.
    expect((await feed('AC', ac.at(-2)!.cursor)).map((n) => n.id)).toEqual([ac.at(-1)!.id]);
    expect(await feed('AC', ac.at(-1)!.cursor)).toEqual([]);
  });

  it('entitlement running out: social assistance alone is told (the AI and the CII would need his consent)', async () => {
    await on('2026-12-30');
    await scan();
    await stack.notifications.dispatch();
    expect(hooked()).toEqual([
      'file-opened-or-closed AC ac.registration 2026-02-02',
      'file-opened-or-closed AI ai.file 2026-06-15',
      'ai-decision AI ai.decision 2026-12-14',
      'entitlement-exhausting AC ac.entitlement 2027-01-29',
    ]);
    expect((await told('AC')).some((l) => l.startsWith('entitlement-exhausting'))).toBe(false);
    expect(await feed('AI')).toEqual([]);
    // Compared again the next day: the same exhaustion date is not told twice.
    await on('2026-12-31');
    await scan();
    await stack.notifications.dispatch();
    expect(hooked()).toHaveLength(4);
  });

  it('the AI file closes: the ORP and social assistance learn it', async () => {
    await on(PAINTER_STORY.aiFileClosed);
    await scan();
    await stack.notifications.dispatch();
    expect((await told('AC')).at(-1)).toBe('file-opened-or-closed AI ai.file 2027-01-11');
    expect(hooked().at(-1)).toBe('file-opened-or-closed AI ai.file 2027-01-11');
  });

  it('and nobody else: the AI, the CII and the PC were told nothing, each refusal journaled; the ORP-only person left no trace', async () => {
    expect(await feed('AI')).toEqual([]);
    expect(await feed('CII')).toEqual([]);
    expect(await feed('PC')).toEqual([]);
    const log = await stack.audit.query({ avs: PAINTER, first: 1000 });
    const deliveries = log.filter((e) => e.action === 'NOTIFICATION_DELIVERED').map((e) => `${e.institution} ${e.category} ${e.decision}${e.reason ? ` ${e.reason}` : ''}`);
    expect(deliveries.filter((d) => d.startsWith('CII')).every((d) => d.endsWith('DENIED NO_CONSENT'))).toBe(true);
    expect(deliveries).toContain('AI ac.entitlement DENIED NO_CONSENT');
    expect(deliveries.filter((d) => d.startsWith('PC'))).toEqual([]);
    expect(deliveries.filter((d) => d.endsWith('ALLOWED')).length).toBe((await feed('AC')).length + (await feed('AS')).length);
    const orpOnly = await stack.audit.query({ avs: ORP_ONLY, first: 100 });
    expect(orpOnly.map((e) => e.action)).toEqual(['CASE_OPENED']);
  });

  it("the DPO's page lists each event rule in words and what it delivered to whom, and what the policy refused", async () => {
    const page = await fetch(`${stack.gatewayUrl}/policy/notifications`, { headers: stack.as({ institution: 'CII', role: 'dpo' }) });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const rule of ['file-opened-or-closed', 'entitlement-exhausting', 'ai-decision', 'orp-registration-required']) expect(html).toContain(`id="rule-${rule}"`);
    expect(html).toContain('The unemployment daily-allowance entitlement runs out within 30 days');
    const section = (rule: string) => html.slice(html.indexOf(`id="rule-${rule}"`), html.indexOf('</section>', html.indexOf(`id="rule-${rule}"`)));
    // Entitlement: delivered once to social assistance, refused to the AI and the CII.
    expect(section('entitlement-exhausting')).toContain('<tr><td>AS</td><td>1</td><td>0</td></tr>');
    expect(section('entitlement-exhausting')).toContain('<tr><td>AI</td><td>0</td><td>1</td></tr>');
    expect(section('entitlement-exhausting')).toContain('<tr><td>CII</td><td>0</td><td>1</td></tr>');
    expect(section('ai-decision')).toContain('<tr><td>AC</td><td>1</td><td>0</td></tr>');
    expect(section('orp-registration-required')).toContain('<tr><td>PC</td><td>0</td><td>0</td></tr>');
    expect(html).not.toContain(PAINTER);
    const staffPage = await fetch(`${stack.gatewayUrl}/policy/notifications`, { headers: stack.as(staff.AC) });
    expect(staffPage.status).toBe(403);
  });

  it('a push without the registry\'s token, or with a bad AVS number, is refused', async () => {
    const url = stack.config.subgraphUrls.unemployment.replace(/\/graphql$/, INGEST_PATH);
    const body = JSON.stringify({ avs: [PAINTER] });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${'0'.repeat(64)}` }, body })).status).toBe(401);
    expect(await push('unemployment', ['756.1234.5678.90'])).toBe(400);
    expect(await push('consent' as never, [PAINTER]).catch(() => 404)).not.toBe(202);
  });
});
