// The notification store in Redis, shared by every instance: a notification is stored once
// (its id is its idempotency key), numbered in one sequence (the feed's cursor), and signed,
// so that one written into Redis by someone without the store's key is neither served in the
// feed nor sent to a webhook.
//
// Layout (<p> = prefix):
//   <p>notif:obs:<institution>   hash  AVS → observation (JSON)
//   <p>notif:handled             set   event ids handled
//   <p>notif:seq                 counter of notifications
//   <p>notif:n:<id>              JSON { notification, signature }
//   <p>notif:feed:<institution>  zset  id by seq
//   <p>notif:outbox              zset  id by due time (ms); <p>notif:attempts hash id → attempts
//   <p>notif:dead                hash  id → JSON { attempts, lastError, deadAt }
//   <p>notif:tally               hash  <rule>|<recipient>|delivered|refused → count
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { evalScript, luaScript } from '../redis/connection.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { HmacSigner } from '../signing.ts';
import { log } from '../log.ts';
import { Observation } from './observation.ts';
import { Institution as InstitutionCode } from '../schema/catalogue.ts';
import { Notification, type DeadLetter, type DueDelivery, type NewNotification, type NotificationStore, type Tally } from './store.ts';

// KEYS[1] the notification, KEYS[2] the recipient's feed, KEYS[3] the outbox.
// ARGV[1] the id, ARGV[2] the signed document, ARGV[3] its seq, ARGV[4] '1' to queue it for the
// webhook, ARGV[5] its due time (ms). Replies 1 stored, 0 stored before (left as it was).
const ADD = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1]) end
return 1
`);

// KEYS[1] the outbox. ARGV[1] now (ms), ARGV[2] at most this many, ARGV[3] the lease's end (ms).
// Replies the ids claimed: due again only when the lease ends.
const CLAIM = luaScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id) end
return ids
`);

const Stored = z.strictObject({ notification: Notification, signature: z.string() });
const Dead = z.strictObject({ attempts: z.number().int(), lastError: z.string(), deadAt: z.string() });

const canonical = (n: Notification) => JSON.stringify([n.id, n.seq, n.event, n.rule, n.source, n.recipient, n.avs, n.category, n.about, n.message, n.caseReference, n.decidedAt]);

export class RedisNotificationStore implements NotificationStore {
  private readonly p: string;

  constructor(
    private readonly redis: Redis,
    private readonly signer: HmacSigner,
    opts: { prefix?: string } = {},
  ) {
    this.p = `${opts.prefix ?? 'ciigraph:'}notif:`;
  }

  async count(decided: readonly { rule: string; recipient: Institution; delivered: boolean }[]): Promise<void> {
    if (decided.length === 0) return;
    const m = this.redis.multi();
    for (const d of decided) m.hincrby(`${this.p}tally`, `${d.rule}|${d.recipient}|${d.delivered ? 'delivered' : 'refused'}`, 1);
    await m.exec();
  }

  async tallies(): Promise<Tally[]> {
    const all = await this.redis.hgetall(`${this.p}tally`);
    const byKey = new Map<string, Tally>();
    for (const [field, n] of Object.entries(all)) {
      const [rule, recipient, outcome] = field.split('|');
      const r = InstitutionCode.safeParse(recipient);
      if (!rule || !r.success || (outcome !== 'delivered' && outcome !== 'refused')) continue;
      const t = byKey.get(`${rule}|${r.data}`) ?? { rule, recipient: r.data, delivered: 0, refused: 0 };
      t[outcome] += Number(n);
      byKey.set(`${rule}|${r.data}`, t);
    }
    return [...byKey.values()];
  }

  async observations(institution: Institution, avs: readonly string[]): Promise<Map<string, Observation>> {
    const found = new Map<string, Observation>();
    if (avs.length === 0) return found;
    const raws = await this.redis.hmget(`${this.p}obs:${institution}`, ...avs);
    avs.forEach((a, i) => {
      const parsed = Observation.safeParse(raws[i] ? JSON.parse(raws[i]!) : undefined);
      if (parsed.success) found.set(a, parsed.data);
    });
    return found;
  }

  async observe(institution: Institution, observations: ReadonlyMap<string, Observation>): Promise<void> {
    if (observations.size === 0) return;
    await this.redis.hset(`${this.p}obs:${institution}`, Object.fromEntries([...observations].map(([a, o]) => [a, JSON.stringify(o)])));
  }

  async handled(eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const flags = await this.redis.smismember(`${this.p}handled`, ...eventIds);
    return new Set(eventIds.filter((_, i) => flags[i] === 1));
  }

  async markHandled(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length) await this.redis.sadd(`${this.p}handled`, ...eventIds);
  }

  async add(notifications: readonly NewNotification[], webhookRecipients: ReadonlySet<Institution>): Promise<Notification[]> {
    const stored: Notification[] = [];
    for (const n of notifications) {
      // A number is taken before knowing whether the id is new: the feed's cursor may skip one.
      const full: Notification = { ...n, seq: await this.redis.incr(`${this.p}seq`) };
      const doc = JSON.stringify({ notification: full, signature: this.signer.signature(canonical(full)) });
      const queue = webhookRecipients.has(n.recipient) ? '1' : '0';
      const added = Number(await evalScript(this.redis, ADD, [`${this.p}n:${n.id}`, `${this.p}feed:${n.recipient}`, `${this.p}outbox`], [n.id, doc, full.seq, queue, Date.parse(n.decidedAt)]));
      const result = added === 1 ? full : (await this.read([n.id]))[0];
      if (result) stored.push(result);
    }
    return stored;
  }

  async since(recipient: Institution, after: number, limit: number): Promise<Notification[]> {
    const ids = await this.redis.zrangebyscore(`${this.p}feed:${recipient}`, `(${after}`, '+inf', 'LIMIT', 0, limit);
    return (await this.read(ids)).filter((n): n is Notification => n !== undefined && n.recipient === recipient);
  }

  async claimDue(now: string, limit: number, leaseUntil: string): Promise<DueDelivery[]> {
    const ids = (await evalScript(this.redis, CLAIM, [`${this.p}outbox`], [Date.parse(now), limit, Date.parse(leaseUntil)])) as string[];
    if (ids.length === 0) return [];
    const [notifications, attempts] = await Promise.all([this.read(ids), this.redis.hmget(`${this.p}attempts`, ...ids)]);
    return ids.flatMap((_, i) => (notifications[i] ? [{ notification: notifications[i]!, attempts: Number(attempts[i] ?? 0) }] : []));
  }

  async delivered(id: string): Promise<void> {
    await this.redis.multi().zrem(`${this.p}outbox`, id).hdel(`${this.p}attempts`, id).exec();
  }

  async failed(id: string, attempts: number, retryAt: string | null, error: string, now: string): Promise<void> {
    if (retryAt !== null) {
      await this.redis.multi().zadd(`${this.p}outbox`, 'XX', Date.parse(retryAt), id).hset(`${this.p}attempts`, id, attempts).exec();
      return;
    }
    const dead = JSON.stringify({ attempts, lastError: error, deadAt: now });
    await this.redis.multi().zrem(`${this.p}outbox`, id).hdel(`${this.p}attempts`, id).hset(`${this.p}dead`, id, dead).exec();
  }

  async deadLetters(): Promise<DeadLetter[]> {
    const all = await this.redis.hgetall(`${this.p}dead`);
    const ids = Object.keys(all);
    const notifications = await this.read(ids);
    return ids.flatMap((id, i) => {
      const d = Dead.safeParse(JSON.parse(all[id]!));
      return notifications[i] && d.success ? [{ notification: notifications[i]!, ...d.data }] : [];
    });
  }

  async retryDeadLetter(id: string, now: string): Promise<boolean> {
    const raw = await this.redis.hget(`${this.p}dead`, id);
    if (raw === null) return false;
    const d = Dead.parse(JSON.parse(raw));
    await this.redis.multi().hdel(`${this.p}dead`, id).zadd(`${this.p}outbox`, Date.parse(now), id).hset(`${this.p}attempts`, id, d.attempts).exec();
    return true;
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}

  /** The notifications of these ids, in order; undefined for one absent or failing its signature. */
  private async read(ids: readonly string[]): Promise<(Notification | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => `${this.p}n:${id}`));
    return raws.map((raw, i) => {
      if (!raw) return undefined;
      try {
        const s = Stored.parse(JSON.parse(raw));
        if (s.notification.id === ids[i] && this.signer.holds(canonical(s.notification), s.signature)) return s.notification;
      } catch {
        // Falls through: not honoured.
      }
      log.error({ store: 'notifications' }, 'a stored notification is unreadable or fails its signature: not served');
      return undefined;
    });
  }
}
