// Issue 23, point 2: an event is delivered only to institutions with an open case for the
// person, only where the policy releases its category to them (decided as the policy's
// delivery role, for its purpose, under that case), each delivery journaled; a person with no
// case elsewhere gets no decision, no entry and nothing stored.
import { beforeEach, describe, expect, it } from 'vitest';
import { loadPolicy } from '../lib/access/policy.ts';
import { personFactsReader } from '../lib/access/person-facts.ts';
import { Journal } from '../lib/audit/journal.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { MemoryCaseRepertory } from '../lib/cases/memory.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { deliverEvents, DELIVERY_SUBJECT, type DeliveryDeps } from '../lib/notifications/deliver.ts';
import { eventId, type NotificationEvent } from '../lib/notifications/detect.ts';
import { MemoryNotificationStore } from '../lib/notifications/memory.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import type { Institution } from '../lib/schema/catalogue.ts';
import { seedConsent } from './support/consents.ts';

const PAINTER = '756.1234.5678.97';
const policy = loadPolicy(loadCatalogue());
const clock = { now: () => new Date('2026-12-15T09:00:00Z') };

const event = (source: Institution, rule: string, category: string, about: string, avs = PAINTER): NotificationEvent => ({
  id: eventId(rule, source, avs, about),
  rule,
  source,
  avs,
  category,
  about,
  message: 'something changed',
  detectedOn: '2026-12-15',
});

let cases: MemoryCaseRepertory;
let consents: MemoryConsentStore;
let audit: MemoryAuditLog;
let store: MemoryNotificationStore;
let deps: DeliveryDeps;
const open = (institution: Institution, caseReference: string, avs = PAINTER) => cases.openCase({ avs, institution, caseReference, on: '2026-06-15' });

beforeEach(() => {
  cases = new MemoryCaseRepertory();
  consents = new MemoryConsentStore();
  audit = new MemoryAuditLog();
  store = new MemoryNotificationStore();
  deps = { policy, readFacts: personFactsReader(consents, cases), journal: new Journal(audit), store, clock, webhookRecipients: new Set() };
});

describe('a notification', () => {
  it('goes to no one, and leaves no entry, for a person with an open case only at the source', async () => {
    await open('AC', 'ORP-GE-2026-0412');
    const outcome = await deliverEvents([event('AC', 'entitlement-exhausting', 'ac.entitlement', '2027-01-29')], deps, 'unemployment');
    expect(outcome).toEqual({ events: 1, delivered: [], denied: 0 });
    expect(await audit.query({ avs: PAINTER, first: 100 })).toEqual([]);
    for (const i of ['AC', 'AI', 'AS', 'PC', 'CII'] as const) expect(await store.since(i, 0, 10)).toEqual([]);
  });

  it('goes to each institution with an open case where the policy releases the category, journaled with its legal basis', async () => {
    await open('AI', 'AI-GE-2026-0815');
    await open('AC', 'ORP-GE-2026-0412');
    await open('AS', 'HG-GE-2026-1187');
    await open('CII', 'CII-GE-2026-0042');
    const outcome = await deliverEvents([event('AI', 'ai-decision', 'ai.decision', '2026-12-14')], deps, 'disability');
    // AC and AS: LPGA art. 32 (purpose and their case named); the CII referent reads by consent only.
    expect(outcome.delivered.map((n) => [n.recipient, n.caseReference]).sort()).toEqual([['AC', 'ORP-GE-2026-0412'], ['AS', 'HG-GE-2026-1187']]);
    expect(outcome.denied).toBe(1);
    const entries = await audit.query({ avs: PAINTER, first: 100 });
    expect(entries.map((e) => [e.action, e.institution, e.role, e.decision, e.legalBasis, e.reason, e.caseReference, e.purpose, e.subject]).sort()).toEqual([
      ['NOTIFICATION_DELIVERED', 'AC', 'counsellor', 'ALLOWED', 'LPGA art. 32 al. 1 et 2', null, 'ORP-GE-2026-0412', 'cii', DELIVERY_SUBJECT],
      ['NOTIFICATION_DELIVERED', 'AS', 'social-worker', 'ALLOWED', 'LPGA art. 32 al. 1 et 2', null, 'HG-GE-2026-1187', 'cii', DELIVERY_SUBJECT],
      ['NOTIFICATION_DELIVERED', 'CII', 'cii-referent', 'DENIED', null, 'NO_CONSENT', 'CII-GE-2026-0042', 'cii', DELIVERY_SUBJECT],
    ]);
    expect(entries.every((e) => e.category === 'ai.decision')).toBe(true);
    expect((await store.since('AC', 0, 10)).map((n) => n.rule)).toEqual(['ai-decision']);
    expect(await store.since('CII', 0, 10)).toEqual([]);
    expect(await store.since('AI', 0, 10)).toEqual([]);
  });

  it('reaches a consent-only recipient once the person consented, and stops when the case closes', async () => {
    await open('AC', 'ORP-GE-2026-0412');
    await open('AI', 'AI-GE-2026-0815');
    const exhausting = event('AC', 'entitlement-exhausting', 'ac.entitlement', '2027-01-29');
    expect((await deliverEvents([exhausting], deps, 'unemployment')).delivered).toEqual([]);
    await seedConsent(consents, { avs: PAINTER, recipients: ['AI'], categories: ['ac.entitlement'], purpose: 'cii' });
    const later = event('AC', 'entitlement-exhausting', 'ac.entitlement', '2027-02-26');
    const outcome = await deliverEvents([later], deps, 'unemployment');
    expect(outcome.delivered.map((n) => n.recipient)).toEqual(['AI']);
    const [entry] = await audit.query({ avs: PAINTER, first: 1 });
    expect(entry).toMatchObject({ action: 'NOTIFICATION_DELIVERED', institution: 'AI', decision: 'ALLOWED' });
    expect(entry!.consentId).toMatch(/.+/);
    await cases.closeCase({ avs: PAINTER, institution: 'AI', caseReference: 'AI-GE-2026-0815', on: '2026-12-15' });
    const afterClosing = await deliverEvents([event('AC', 'file-opened-or-closed', 'ac.registration', '2026-12-15')], deps, 'unemployment');
    expect(afterClosing).toEqual({ events: 1, delivered: [], denied: 0 });
  });

  it('is decided once per event: the same event again (a push and a scan, two instances) delivers and journals nothing more', async () => {
    await open('AS', 'HG-GE-2026-1187');
    await open('AC', 'ORP-GE-2026-0412');
    const e = event('AS', 'file-opened-or-closed', 'as.dossier', '2026-03-02');
    expect((await deliverEvents([e, e], deps, 'social-assistance')).delivered).toHaveLength(1);
    expect(await deliverEvents([e], deps, 'social-assistance')).toEqual({ events: 0, delivered: [], denied: 0 });
    expect(await audit.query({ avs: PAINTER, first: 100 })).toHaveLength(1);
  });

  it('goes to no institution the policy names no delivery role for, and the sample policy names one for each', () => {
    expect(['AC', 'AI', 'AS', 'PC', 'CII'].map((i) => policy.deliveryRoleOf(i as Institution))).toEqual(['counsellor', 'case-manager', 'social-worker', 'pc-officer', 'cii-referent']);
    expect(policy.notifications.purpose).toBe('cii');
  });
});

describe("the policy's notifications section", () => {
  it('is refused with a purpose or a role the policy does not have there', async () => {
    const { readFileSync } = await import('node:fs');
    const { parsePolicy, SAMPLE_POLICY_PATH } = await import('../lib/access/policy.ts');
    const sample = JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8'));
    const bad = { ...sample, notifications: { purpose: 'gossip', deliveredAs: { AC: 'case-manager' } } };
    expect(() => parsePolicy(bad, loadCatalogue(), 'bad.json')).toThrow(/purpose "gossip"[\s\S]*deliveredAs\.AC: role "case-manager" does not exist at AC/);
    const { notifications: _n, ...without } = sample;
    expect(parsePolicy(without, loadCatalogue(), 'without.json').deliveryRoleOf('AC')).toBeUndefined();
  });
});
