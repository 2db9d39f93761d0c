// The consent-form store the configuration names: a directory (development; a volume shared by
// the gateway and the consent subgraph in production) or Redis (the deployment's shared Redis).
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { StartupError } from '../errors.ts';
import { DirectoryConsentFormStore } from './directory.ts';
import { RedisConsentFormStore } from './redis.ts';
import type { ConsentFormStore } from './store.ts';

export function openConsentFormStore(config: Config, redis: Redis | undefined): ConsentFormStore {
  const where = config.consentForms;
  if (where.store === 'directory') return new DirectoryConsentFormStore(where.directory);
  // The configuration checks that the Redis store comes with redis.url.
  if (!redis) throw new StartupError('configuration', ['consentForms.store redis needs redis.url (REDIS_URL)']);
  return new RedisConsentFormStore(redis, { prefix: config.redisPrefix });
}
