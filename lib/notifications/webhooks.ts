// Webhooks: each notification queued for an institution's endpoint is POSTed there, signed
// (Ed25519, with the key's id, over the timestamp and the exact body), carrying its idempotency
// key; a refusal or a failure is retried with exponential backoff, and after the last attempt
// it is a dead letter operators see (npm run notifications -- dead-letters) and can retry.
// At least once: a receiver may see a notification twice and keeps the first by its key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../clock.ts';
import { log } from '../log.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { Notification, NotificationStore } from './store.ts';

export const SIGNATURE_HEADER = 'ciigraph-signature';
export const KEY_ID_HEADER = 'ciigraph-key-id';
export const TIMESTAMP_HEADER = 'ciigraph-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface WebhookSigningKey {
  keyId: string;
  privateKey: KeyObject;
}

export interface WebhookOptions {
  store: NotificationStore;
  /** Each institution's endpoint; an institution without one reads the feed only. */
  endpoints: Partial<Record<Institution, string>>;
  key: WebhookSigningKey;
  clock: Clock;
  /** Attempts before a delivery becomes a dead letter (default 8). */
  maxAttempts?: number;
  /** The first retry waits this long, each next one twice as long (default 1 s). */
  backoffMs?: number;
  /** No wait longer than this (default 1 h). */
  maxBackoffMs?: number;
  /** A receiver that does not answer within this fails the attempt (default 5 s). */
  timeoutMs?: number;
  /** Deliveries sent per run (default 100). */
  batch?: number;
}

/** What a receiver gets: the notification, without the store's position. */
export const webhookBody = (n: Notification): string => {
  const { seq: _seq, ...body } = n;
  return JSON.stringify(body);
};

/** The bytes signed: the timestamp, a dot, the exact body. */
const signedBytes = (timestamp: string, body: string) => Buffer.from(`${timestamp}.${body}`);

/** The headers of a signed delivery. */
export function signedHeaders(n: Notification, body: string, key: WebhookSigningKey, timestamp: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    [IDEMPOTENCY_HEADER]: n.id,
    [KEY_ID_HEADER]: key.keyId,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: sign(null, signedBytes(timestamp, body), key.privateKey).toString('base64url'),
  };
}

/** For receivers: whether a delivery's signature holds under one of the published keys (by key id). */
export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: string, publicKeys: ReadonlyMap<string, KeyObject>): boolean {
  const one = (h: string) => (typeof headers[h] === 'string' ? (headers[h] as string) : undefined);
  const keyId = one(KEY_ID_HEADER);
  const timestamp = one(TIMESTAMP_HEADER);
  const signature = one(SIGNATURE_HEADER);
  const key = keyId === undefined ? undefined : publicKeys.get(keyId);
  if (!key || timestamp === undefined || signature === undefined) return false;
  return verify(null, signedBytes(timestamp, body), key, Buffer.from(signature, 'base64url'));
}

/** The wait before attempt n+1 after n failed attempts. */
export const backoff = (attempts: number, baseMs: number, maxMs: number): number => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));

export interface DispatchOutcome {
  delivered: number;
  retried: number;
  dead: number;
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DispatchOutcome> | undefined;

  constructor(private readonly opts: WebhookOptions) {}

  /** Sends what is due now, once; a run already under way is waited for instead. */
  runOnce(): Promise<DispatchOutcome> {
    return (this.running ??= this.run().finally(() => (this.running = undefined)));
  }

  /** Runs every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runOnce().catch((e) => log.warn({ reason: (e as Error).message }, 'webhook run failed')), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<DispatchOutcome> {
    const o = this.opts;
    const timeoutMs = o.timeoutMs ?? 5000;
    const now = o.clock.now();
    const lease = new Date(now.getTime() + 2 * timeoutMs).toISOString();
    const due = await o.store.claimDue(now.toISOString(), o.batch ?? 100, lease);
    const outcome: DispatchOutcome = { delivered: 0, retried: 0, dead: 0 };
    await Promise.all(
      due.map(async ({ notification: n, attempts }) => {
        const error = await this.send(n, timeoutMs);
        if (error === null) {
          await o.store.delivered(n.id);
          outcome.delivered++;
          return;
        }
        const tried = attempts + 1;
        const at = o.clock.now();
        if (tried >= (o.maxAttempts ?? 8)) {
          await o.store.failed(n.id, tried, null, error, at.toISOString());
          log.warn({ notification: n.id, recipient: n.recipient, attempts: tried, reason: error }, 'webhook delivery given up: dead letter');
          outcome.dead++;
        } else {
          const retryAt = new Date(at.getTime() + backoff(tried, o.backoffMs ?? 1000, o.maxBackoffMs ?? 3_600_000)).toISOString();
          await o.store.failed(n.id, tried, retryAt, error, at.toISOString());
          outcome.retried++;
        }
      }),
    );
    return outcome;
  }

  /** One attempt: null when the receiver acknowledged it (2xx), else why not. */
  private async send(n: Notification, timeoutMs: number): Promise<string | null> {
    const url = this.opts.endpoints[n.recipient];
    if (!url) return `no webhook endpoint for ${n.recipient}`;
    const body = webhookBody(n);
    try {
      const res = await fetch(url, { method: 'POST', headers: signedHeaders(n, body, this.opts.key, this.opts.clock.now().toISOString()), body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
}

/** Reads the Ed25519 private key (PEM); outside production a missing one is made and kept there. */
export function webhookSigningKey(file: string, keyId: string, production: boolean): WebhookSigningKey {
  if (!existsSync(file) && !production) {
    mkdirSync(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: not an Ed25519 private key`);
  return { keyId, privateKey };
}

/** The public half receivers verify with (PEM). */
export const publicKeyPem = (key: WebhookSigningKey): string => createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString();
