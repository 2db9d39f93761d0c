// Issue 23, point 3 (webhooks): a local receiver over HTTP gets each notification signed with
// Ed25519 under a key id (verified with the public key only), with its idempotency key; a
// refusal is retried with backoff (the same key every time), the last failure makes a dead
// letter that an operator retries; a receiver that took a delivery but whose answer was lost
// gets it again (at least once) and keeps the first by its key.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryNotificationStore } from '../lib/notifications/memory.ts';
import type { NewNotification } from '../lib/notifications/store.ts';
import { backoff, IDEMPOTENCY_HEADER, verifyWebhook, WebhookDispatcher } from '../lib/notifications/webhooks.ts';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let url = '';
let received: Received[] = [];
/** What the receiver answers next, in order; then 200. 'drop': takes the body and cuts the connection. */
let answers: (number | 'drop')[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ headers: req.headers, body });
    const answer = answers.shift() ?? 200;
    if (answer === 'drop') return void req.socket.destroy();
    res.writeHead(answer).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ciigraph-notifications`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const published: ReadonlyMap<string, KeyObject> = new Map([['notif-2026-12', keys.publicKey]]);
let now = Date.parse('2026-12-15T09:00:00Z');
const clock = { now: () => new Date(now) };
let store: MemoryNotificationStore;

const note = (id: string, over: Partial<NewNotification> = {}): NewNotification => ({
  id,
  event: 'e'.repeat(32),
  rule: 'entitlement-exhausting',
  source: 'AC',
  recipient: 'AS',
  avs: '756.1234.5678.97',
  category: 'ac.entitlement',
  about: '2027-01-29',
  message: 'The daily allowance runs out on 2027-01-29 (in 30 days).',
  caseReference: 'HG-GE-2026-1187',
  decidedAt: new Date(now).toISOString(),
  ...over,
});

const dispatcher = (maxAttempts = 4) =>
  new WebhookDispatcher({ store, endpoints: { AS: url }, key: { keyId: 'notif-2026-12', privateKey: keys.privateKey }, clock, maxAttempts, backoffMs: 1000, maxBackoffMs: 60_000, timeoutMs: 5000 });

beforeEach(() => {
  received = [];
  answers = [];
  now = Date.parse('2026-12-15T09:00:00Z');
  store = new MemoryNotificationStore();
});

describe('webhooks', () => {
  it('deliver each notification signed under its key id, with its idempotency key, once acknowledged', async () => {
    await store.add([note('a'.repeat(32))], new Set(['AS']));
    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    const [r] = received;
    expect(r!.headers[IDEMPOTENCY_HEADER]).toBe('a'.repeat(32));
    expect(r!.headers['ciigraph-key-id']).toBe('notif-2026-12');
    expect(JSON.parse(r!.body)).toMatchObject({ id: 'a'.repeat(32), rule: 'entitlement-exhausting', recipient: 'AS', category: 'ac.entitlement', caseReference: 'HG-GE-2026-1187' });
    expect(verifyWebhook(r!.headers, r!.body, published)).toBe(true);
    // Altered body, another key, an unknown key id: none verifies.
    expect(verifyWebhook(r!.headers, r!.body.replace('2027-01-29', '2027-01-30'), published)).toBe(false);
    expect(verifyWebhook(r!.headers, r!.body, new Map([['notif-2026-12', other.publicKey]]))).toBe(false);
    expect(verifyWebhook({ ...r!.headers, 'ciigraph-key-id': 'old' }, r!.body, published)).toBe(false);
    expect(await dispatcher().runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    expect(received).toHaveLength(1);
  });

  it('retry a refused delivery with exponential backoff and the same idempotency key', async () => {
    await store.add([note('b'.repeat(32))], new Set(['AS']));
    answers = [503, 500];
    const d = dispatcher();
    expect(await d.runOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    // Not due before its backoff (1 s after the first failure).
    now += 999;
    expect(await d.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    now += 1;
    expect(await d.runOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    now += 1999;
    expect(await d.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    now += 1;
    expect(await d.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(received.map((r) => r.headers[IDEMPOTENCY_HEADER])).toEqual(Array(3).fill('b'.repeat(32)));
    expect([1, 2, 3, 4, 10].map((n) => backoff(n, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });

  it('make a dead letter of a delivery refused at every attempt, which an operator puts back', async () => {
    await store.add([note('c'.repeat(32))], new Set(['AS']));
    answers = [500, 500, 500];
    const d = dispatcher(3);
    for (const wait of [0, 1000, 2000]) {
      now += wait;
      await d.runOnce();
    }
    const [dead] = await store.deadLetters();
    expect(dead).toMatchObject({ attempts: 3, lastError: 'HTTP 500' });
    now += 3_600_000;
    expect(await d.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    expect(await store.retryDeadLetter('c'.repeat(32), new Date(now).toISOString())).toBe(true);
    expect(await d.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(await store.deadLetters()).toEqual([]);
  });

  it('send again what a receiver took without answering: at least once, one idempotency key', async () => {
    await store.add([note('d'.repeat(32))], new Set(['AS']));
    answers = ['drop'];
    const d = dispatcher();
    expect(await d.runOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    now += 1000;
    expect(await d.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    const kept = new Set(received.map((r) => r.headers[IDEMPOTENCY_HEADER]));
    expect(received).toHaveLength(2);
    expect(kept).toEqual(new Set(['d'.repeat(32)]));
  });
});
