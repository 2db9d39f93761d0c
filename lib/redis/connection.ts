// One Redis client per process, shared by the consent store, the access log and the caches.
// It fails fast instead of queueing: a request that needs Redis while it is down gets an
// error at once (AUDIT_UNAVAILABLE, CONSENT_STORE_UNAVAILABLE upstream), never a hang, while
// the client keeps reconnecting in the background so service resumes by itself.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { log } from '../log.ts';

export type { Redis } from 'ioredis';

/** Clients closed on purpose: their 'end' is not news worth logging. */
const closing = new WeakSet<Redis>();

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable REDIS_URL>';
  }
}

export function createRedis(url: string, opts: { name?: string } = {}): Redis {
  const name = opts.name ?? 'ciigraph';
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: false,
    // No queueing while disconnected: the caller learns at once that Redis is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    // Never give up (a null would end the client for good): back off, capped at 1 s, so a
    // restarted Redis is picked up within a second.
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });

  // Log state changes once each, not every retry; the 'error' listener also keeps an
  // unreachable Redis from crashing the process with an unhandled 'error' event.
  const where = `redis ${name} (${redactRedisUrl(url)})`;
  let state: 'initial' | 'up' | 'down' = 'initial';
  redis.on('ready', () => {
    if (state !== 'up') log.info({ redis: where }, state === 'down' ? 'redis reconnected' : 'redis connected');
    state = 'up';
  });
  redis.on('error', (e: Error) => {
    if (state !== 'down') log.warn({ redis: where, reason: e.message }, 'redis unreachable; reconnecting');
    state = 'down';
  });
  redis.on('close', () => {
    if (state === 'up' && !closing.has(redis)) log.warn({ redis: where }, 'redis connection lost; reconnecting');
    if (state === 'up') state = 'down';
  });
  redis.on('end', () => {
    if (!closing.has(redis)) log.warn({ redis: where }, 'redis connection ended');
  });
  return redis;
}

/** Resolves once the client is ready; rejects after timeoutMs (naming the last error) or if the client ended. */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new Error('the Redis client was closed'));
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (e: Error) => {
      lastError = e;
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('the Redis client was closed'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      redis.off('end', onEnd);
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
    redis.on('end', onEnd);
  });
}

/** Quits gracefully (pending replies arrive) when connected, else disconnects at once; stops reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  closing.add(redis);
  if (redis.status === 'ready') {
    try {
      // QUIT is subject to commandTimeout, so this cannot hang.
      await redis.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  redis.disconnect(false);
}

export interface LuaScript {
  lua: string;
  sha: string;
}

export function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Runs a script by its SHA (the script text is not resent each call), loading it on NOSCRIPT
 * (first use, or a restarted Redis). Not defineCommand: the shared client is not ours to extend.
 */
export async function evalScript(redis: Redis, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
    return await redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}
