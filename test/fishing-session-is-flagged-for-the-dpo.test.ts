// Fishing made visible (issue 18): a counsellor who looks up persons outside his cases, reads
// far more persons than his colleagues do in a day, and reads under consents he recorded
// himself is flagged on the DPO's signals page, each signal linked to its log entries; his
// colleague's ordinary day is not. The log and consents are in Redis, as in production.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personsWithEveryFile } from './support/persons.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const PARTIAL_PENSION = '756.4444.5555.62';
const SOCIAL_ASSISTANCE_ONLY = '756.1111.2222.39';
const ORP_ONLY = '756.9876.5432.17';

const TODAY = new Date().toISOString().slice(0, 10);
const dayBefore = (n: number) => new Date(Date.parse(`${TODAY}T12:00:00Z`) - n * 86_400_000);
let now = dayBefore(3);

const REGISTRATION = `query($avs: [ID!]!) { persons(avs: $avs) { unemployment { registeredSince } } }`;
const AI_FILE = `query($avs: ID!) { person(avs: $avs) { disability { filedOn } } }`;
const AS_BENEFITS = `query($avs: ID!) { person(avs: $avs) { socialAssistance { benefits { monthlyAmount } } } }`;

let redis: RedisServerHandle;
let stack: TestStack;
const caseload = personsWithEveryFile(45);
const counsellor = (sub: string, caseReference?: string) => stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii', sub, ...(caseReference ? { caseReference } : {}) });
const dpo = () => stack.as({ institution: 'AC', role: 'dpo', sub: 'dpo-ge' });

beforeAll(async () => {
  redis = await startRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-fishing-'));
  stack = await startTestStack({ clock: { now: () => now }, env: { REDIS_URL: redis.url, CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key') } });

  // Three ordinary days: each counsellor reads a few persons of his caseload.
  for (const n of [3, 2, 1]) {
    now = dayBefore(n);
    for (const [sub, persons] of [['c-ordinary', caseload.slice(0, 4)], ['c-fisher', caseload.slice(4, 7)]] as const) {
      const { body } = await gql(stack.gatewayUrl, REGISTRATION, { avs: persons }, counsellor(sub));
      expect(body.errors).toBeUndefined();
    }
  }

  now = new Date();
  // The ordinary colleague, today: his caseload's AI files, as every day.
  await gql(stack.gatewayUrl, REGISTRATION, { avs: caseload.slice(0, 5) }, counsellor('c-ordinary'));
  for (const avs of caseload.slice(0, 2)) await gql(stack.gatewayUrl, AI_FILE, { avs }, counsellor('c-ordinary', `AC-GEN-${avs.replace(/\D/g, '')}`));

  // The fisher, today: persons he does not handle, under made-up references…
  for (const avs of [PARTIAL_PENSION, SOCIAL_ASSISTANCE_ONLY, PAINTER]) {
    const { body } = await gql(stack.gatewayUrl, AI_FILE, { avs }, counsellor('c-fisher', 'ORP-GE-2026-9000'));
    expect(body.errors?.[0]?.extensions?.reason).toBe('NO_OPEN_CASE');
  }
  // …forty persons' registrations at once…
  await gql(stack.gatewayUrl, REGISTRATION, { avs: caseload.slice(5, 45) }, counsellor('c-fisher'));
  // …and three persons' social-assistance benefits under consents he records himself.
  for (const avs of caseload.slice(40, 43)) {
    const granted = await gql(
      stack.gatewayUrl,
      `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`,
      { input: { avs, recipients: ['AC'], categories: ['as.benefits'], purpose: 'cii', validUntil: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10), evidence: 'c'.repeat(64) } },
      counsellor('c-fisher'),
    );
    expect(granted.body.errors).toBeUndefined();
    const read = await gql(stack.gatewayUrl, AS_BENEFITS, { avs }, counsellor('c-fisher'));
    expect(read.body.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

interface SignalsJson {
  from: string;
  to: string;
  requesterDays: number;
  signals: { rule: string; day: string; subject: string; message: string; entries: { id: string; avs: string; href: string }[] }[];
}
async function signals(query: string, headers = dpo()): Promise<{ status: number; json: SignalsJson; text: string }> {
  const res = await fetch(`${stack.gatewayUrl}/policy/signals?${query}`, { headers });
  const text = await res.text();
  return { status: res.status, json: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined, text };
}

describe("the DPO's fishing signals", () => {
  it("flag the fisher's day on every signal, and not his colleague's ordinary day", async () => {
    const { status, json } = await signals(`from=${TODAY}&to=${TODAY}&format=json`);
    expect(status).toBe(200);
    const flagged = json.signals.map((s) => `${s.subject} ${s.rule}`).sort();
    expect(flagged).toEqual(['c-fisher readsOutsideAnyCase', 'c-fisher readsUnderOwnConsent', 'c-fisher unusualVolume']);
    const outside = json.signals.find((s) => s.rule === 'readsOutsideAnyCase')!;
    expect(outside.message).toBe('3 reads denied for want of an open case, about 3 persons');
    expect(outside.entries.map((e) => e.avs).sort()).toEqual([PAINTER, PARTIAL_PENSION, SOCIAL_ASSISTANCE_ONLY].sort());
    expect(json.signals.find((s) => s.rule === 'unusualVolume')!.message).toMatch(/^4\d persons read, against a usual [34] at AC$/);
    expect(json.signals.find((s) => s.rule === 'readsUnderOwnConsent')!.message).toBe('3 persons read under consents this requester recorded');
  });

  it('flag no ordinary day', async () => {
    const before = dayBefore(1).toISOString().slice(0, 10);
    const { json } = await signals(`from=${dayBefore(3).toISOString().slice(0, 10)}&to=${before}&format=json`);
    expect(json.requesterDays).toBe(6);
    expect(json.signals).toEqual([]);
  });

  it("link each signal to the person's log at the entry, which holds what the signal says", async () => {
    const { json } = await signals(`from=${TODAY}&to=${TODAY}&format=json`);
    const entry = json.signals.find((s) => s.rule === 'readsOutsideAnyCase')!.entries[0]!;
    expect(entry.href).toBe(`/policy/access-log?avs=${encodeURIComponent(entry.avs)}#entry-${entry.id}`);
    const page = await fetch(`${stack.gatewayUrl}${entry.href.split('#')[0]}&format=json`, { headers: dpo() });
    const log = (await page.json()) as { id: string; subject: string; reason: string; caseReference: string }[];
    expect(log.find((e) => e.id === entry.id)).toMatchObject({ subject: 'c-fisher', reason: 'NO_OPEN_CASE', caseReference: 'ORP-GE-2026-9000' });
    const html = await (await fetch(`${stack.gatewayUrl}${entry.href.split('#')[0]}`, { headers: dpo() })).text();
    expect(html).toContain(`id="entry-${entry.id}"`);
  });

  it('show as a page with the thresholds in words, and journal the persons it names as access-log readings', async () => {
    const { status, text } = await signals(`from=${TODAY}&to=${TODAY}`);
    expect(status).toBe(200);
    expect(text).toContain('3 or more reads in a day denied because the person is no open case');
    expect(text).toContain('data-signal="unusualVolume" data-subject="c-fisher"');
    const { body } = await gql(stack.gatewayUrl, `query($avs: ID!) { accessLog(avs: $avs, first: 5) { role category subject } }`, { avs: PARTIAL_PENSION }, dpo());
    expect(body.data.accessLog).toContainEqual({ role: 'dpo', category: 'audit.accessLog', subject: 'dpo-ge' });
  });

  it('count today\'s signals in /metrics, per rule, naming nobody', async () => {
    await signals(`format=json`);
    const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    for (const rule of ['readsOutsideAnyCase', 'unusualVolume', 'readsUnderOwnConsent']) expect(metrics).toContain(`ciigraph_fishing_signals{signal="${rule}"} 1`);
    expect(metrics).not.toContain('c-fisher');
  });

  it('are for the DPO only, and refuse a bad period', async () => {
    expect((await signals(`format=json`, counsellor('c-fisher'))).status).toBe(403);
    expect((await signals(`from=2026-13-01`)).status).toBe(400);
    expect((await signals(`from=${TODAY}&to=2020-01-01`)).status).toBe(400);
    expect((await signals(`from=2020-01-01&to=${TODAY}`)).status).toBe(400);
  });
});
