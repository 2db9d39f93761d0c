// Per-client rate limits at the gateway, counted in Redis so every gateway instance of a
// fleet shares one budget per client (rate-limiter-flexible: a fixed window per client, one
// atomic Lua call per request), in memory without Redis. The client is the token's calling
// application (azp / client_id); a token without one is counted by its issuer and subject.
// A client over its budget gets 429 RATE_LIMITED with Retry-After. While Redis is down each
// instance counts on its own (the library's insurance limiter) rather than refusing everyone.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../lib/config.ts';
import { errors, withHttpStatus } from '../../lib/errors.ts';
import { closeRedis, createRedis, type Redis } from '../../lib/redis/connection.ts';
import type { GatewayContext } from '../context.ts';

type Budget = { requests: number; windowS: number };

export interface RateLimiter {
  /** Counts one request of this requester; throws 429 RATE_LIMITED when its client is over budget. */
  admit(ctx: Pick<GatewayContext, 'requester' | 'issuer'>): Promise<void>;
  close(): Promise<void>;
}

/** The key a request is counted under. */
export const clientKey = (ctx: Pick<GatewayContext, 'requester' | 'issuer'>) =>
  ctx.requester.client !== undefined ? `client:${ctx.requester.client}` : `subject:${ctx.issuer ?? ''}:${ctx.requester.subject}`;

/** The limiter of the configuration; undefined when no client has a limit. */
export function createRateLimiter(
  limits: Config['frontDoor']['rateLimit'],
  redis: { url: string | undefined; prefix: string },
): RateLimiter | undefined {
  if (limits.requests === 0 && Object.values(limits.clients).every((c) => c.requests === 0)) return undefined;
  const client: Redis | undefined = redis.url ? createRedis(redis.url, { name: 'ciigraph rate limit' }) : undefined;
  const limiterOf = (budget: Budget, name: string): RateLimiterAbstract => {
    const opts = { points: budget.requests, duration: budget.windowS, keyPrefix: `${redis.prefix}rate-limit:${name}` };
    if (!client) return new RateLimiterMemory(opts);
    return new RateLimiterRedis({ ...opts, storeClient: client, insuranceLimiter: new RateLimiterMemory(opts) });
  };
  const fallback = limits.requests > 0 ? limiterOf(limits, 'default') : undefined;
  const perClient = new Map(Object.entries(limits.clients).map(([id, budget]) => [id, budget.requests > 0 ? limiterOf(budget, `client:${id}`) : undefined]));

  return {
    async admit(ctx) {
      const limiter = ctx.requester.client !== undefined && perClient.has(ctx.requester.client) ? perClient.get(ctx.requester.client) : fallback;
      if (!limiter) return;
      try {
        await limiter.consume(clientKey(ctx));
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        const retryAfterS = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        throw withHttpStatus(errors.rateLimited(retryAfterS), 429, { 'retry-after': String(retryAfterS) });
      }
    },
    close: async () => {
      if (client) await closeRedis(client);
    },
  };
}
