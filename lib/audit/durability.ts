// Durability of the access log in Redis: an append is acknowledged only once it is on disk.
// Redis 7.2 and newer say so per write (WAITAOF 1 0: the local append-only file fsynced);
// older ones cannot, so the log's Redis must fsync every write itself (appendonly yes,
// appendfsync always), which the writer checks when it connects and again every second (a
// CONFIG SET can change it at any time). Otherwise appends are refused: no decision is
// acknowledged as journaled that a crash of Redis's machine could take back.
import type { Redis } from 'ioredis';
import { log } from '../log.ts';

/** fsync: acknowledged once on disk (production); async: whatever the Redis configuration gives (development, the bench's everysec variant). */
export const DURABILITY_MODES = ['fsync', 'async'] as const;
export type DurabilityMode = (typeof DURABILITY_MODES)[number];

export type DurabilityPlan = { version: string; how: 'waitaof' | 'appendfsync-always' };

/** How a server of this INFO (section server) makes a write durable: WAITAOF from 7.2 on. */
export function durabilityPlan(info: string): DurabilityPlan {
  const version = /^redis_version:(\S+)/m.exec(info)?.[1];
  if (!version) throw new Error('INFO names no redis_version');
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return { version, how: major > 7 || (major === 7 && minor >= 2) ? 'waitaof' : 'appendfsync-always' };
}

/** Longest an append waits for its fsync before it is refused. */
const WAITAOF_TIMEOUT_MS = 1000;

export class Durability {
  private checked: Promise<DurabilityPlan> | undefined;
  private checkedAt = 0;
  /** Said in the log once per refusal, not once per append. */
  private refusing = false;

  constructor(
    private readonly redis: Redis,
    readonly mode: DurabilityMode,
    private readonly opts: { where: string; recheckMs?: number },
  ) {
    // A reconnect may reach another server, or the same one restarted with another configuration.
    redis.on('ready', () => (this.checked = undefined));
  }

  /** Resolves when appends may be written (the server will make them durable); rejects saying why not. */
  async ready(): Promise<DurabilityPlan | undefined> {
    if (this.mode === 'async') return undefined;
    const recheckMs = this.opts.recheckMs ?? 1000;
    if (!this.checked || Date.now() - this.checkedAt >= recheckMs) {
      this.checkedAt = Date.now();
      this.checked = this.check().then((plan) => {
        if (this.refusing) log.info({ redis: this.opts.where, how: plan.how }, 'access log: the log\'s Redis makes appends durable again');
        this.refusing = false;
        return plan;
      });
      // A failed check is not remembered: the next append asks again.
      this.checked.catch(() => (this.checked = undefined));
    }
    return this.checked;
  }

  /** After a write landed: resolves once it is on disk (WAITAOF), or at once where the server fsyncs each write. */
  async afterWrite(plan: DurabilityPlan | undefined): Promise<void> {
    if (plan?.how !== 'waitaof') return;
    const reply = (await this.redis.call('WAITAOF', '1', '0', String(WAITAOF_TIMEOUT_MS))) as [number, number];
    if (Number(reply[0]) < 1) throw new Error(`access log: the append was not fsynced by ${this.opts.where} within ${WAITAOF_TIMEOUT_MS} ms (WAITAOF); it is not acknowledged`);
  }

  private async check(): Promise<DurabilityPlan> {
    const plan = durabilityPlan(await this.redis.info('server'));
    const persistence = await this.redis.info('persistence');
    if (!/^aof_enabled:1/m.test(persistence)) throw this.refusal(plan, 'it keeps no append-only file (appendonly no)');
    if (plan.how === 'appendfsync-always') {
      let fsync: string | undefined;
      try {
        fsync = ((await this.redis.config('GET', 'appendfsync')) as string[])[1];
      } catch (e) {
        throw this.refusal(plan, `it does not let the writer read its appendfsync setting (CONFIG GET: ${(e as Error).message}); allow CONFIG GET, or use Redis 7.2 or newer (WAITAOF)`);
      }
      if (fsync !== 'always') throw this.refusal(plan, `it fsyncs its append-only file ${fsync === 'everysec' ? 'once a second' : 'when the system decides'} (appendfsync ${fsync}), not on every write (appendfsync always)`);
    }
    return plan;
  }

  private refusal(plan: DurabilityPlan, why: string): Error {
    if (!this.refusing) log.error({ redis: this.opts.where, reason: why }, 'access log: the log\'s Redis does not make appends durable; appends are refused (AUDIT_DURABILITY=fsync)');
    this.refusing = true;
    return new Error(`access log: appends refused: ${this.opts.where} (Redis ${plan.version}) would acknowledge them before they are on disk: ${why}`);
  }
}
