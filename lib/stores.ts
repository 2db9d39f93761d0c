// Where consents, the case repertory and the access log live: in memory (the embedded default,
// one process) or, with REDIS_URL, in Redis, shared by every gateway and subgraph instance.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { personFactsReader, type PersonFactsReader } from './access/person-facts.ts';
import { Journal } from './audit/journal.ts';
import type { AuditLog } from './audit/log.ts';
import { MemoryAuditLog } from './audit/memory.ts';
import { RedisAuditLog } from './audit/redis.ts';
import { localKey } from './auth/dev-issuer.ts';
import type { Config } from './config.ts';
import { MemoryConsentStore } from './consents/memory.ts';
import { RedisConsentStore } from './consents/redis.ts';
import { ConsentSigner } from './consents/signing.ts';
import type { ConsentStore } from './consents/store.ts';
import { StartupError } from './errors.ts';
import { MemoryCaseRepertory } from './cases/memory.ts';
import { RedisCaseRepertory } from './cases/redis.ts';
import { NO_SEED, type CaseRepertory, type CaseSeed } from './cases/store.ts';
import { HmacSigner } from './signing.ts';
import type { ConsentFormStore } from './consent-forms/store.ts';
import { openConsentFormStore } from './consent-forms/open.ts';
import { closeRedis, createRedis, waitForRedis } from './redis/connection.ts';
import { log } from './log.ts';
import { MemoryNotificationStore } from './notifications/memory.ts';
import { RedisNotificationStore } from './notifications/redis.ts';
import type { NotificationStore } from './notifications/store.ts';

export interface Stores {
  kind: 'memory' | 'redis';
  consents: ConsentStore;
  cases: CaseRepertory;
  /** The signed consent forms (never in the access log). */
  forms: ConsentFormStore;
  audit: AuditLog;
  /** Notifications: observations, the feed, the webhook outbox. */
  notifications: NotificationStore;
  /** Decisions and actions go to `audit` through it (group commit). */
  journal: Journal;
  /** The persons' consents and cases, for a batch of decisions in one read. */
  readFacts: PersonFactsReader;
  /** Whether the stores can be reached now (Redis connected). */
  status(): 'up' | 'down';
  /**
   * Resolves once the stores can be used, or after `timeoutMs` anyway: a stack whose Redis is
   * down still starts, fails closed and says so in /readyz until Redis is back.
   */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function consentSigningKey(config: Config): Buffer {
  if (config.env !== 'production') return localKey(config.consentSigningKeyFile);
  try {
    const key = Buffer.from(readFileSync(config.consentSigningKeyFile, 'utf8').trim(), 'hex');
    if (key.length < 32) throw new Error('shorter than 32 bytes');
    return key;
  } catch (e) {
    throw new StartupError(config.consentSigningKeyFile, [`not a hex key of at least 32 bytes: ${(e as Error).message}`]);
  }
}

export interface GivenStores {
  consents?: ConsentStore;
  cases?: CaseRepertory;
  forms?: ConsentFormStore;
  audit?: AuditLog;
  notifications?: NotificationStore;
  /** The cases a person starts with in a new repertory (the mocks' in development; none in production). */
  caseSeed?: CaseSeed;
}

export function openStores(config: Config, given: GivenStores = {}): Stores {
  const seed = given.caseSeed ?? NO_SEED;
  if (!config.redisUrl) {
    const audit = given.audit ?? new MemoryAuditLog();
    const consents = given.consents ?? new MemoryConsentStore();
    const cases = given.cases ?? new MemoryCaseRepertory(seed);
    return {
      kind: 'memory',
      consents,
      cases,
      forms: given.forms ?? openConsentFormStore(config, undefined),
      audit,
      notifications: given.notifications ?? new MemoryNotificationStore(),
      journal: new Journal(audit),
      readFacts: personFactsReader(consents, cases),
      status: () => 'up',
      ready: async () => {},
      close: async () => {},
    };
  }
  const redis: Redis = createRedis(config.redisUrl, { name: 'ciigraph' });
  const opts = { prefix: config.redisPrefix };
  const audit = given.audit ?? new RedisAuditLog(redis, opts);
  const key = consentSigningKey(config);
  const consents = given.consents ?? new RedisConsentStore(redis, new ConsentSigner(key), opts);
  const cases = given.cases ?? new RedisCaseRepertory(redis, new HmacSigner(key), { ...opts, seed });
  return {
    kind: 'redis',
    consents,
    cases,
    forms: given.forms ?? openConsentFormStore(config, redis),
    audit,
    notifications: given.notifications ?? new RedisNotificationStore(redis, new HmacSigner(key), opts),
    journal: new Journal(audit),
    readFacts: personFactsReader(consents, cases),
    status: () => (redis.status === 'ready' ? 'up' : 'down'),
    ready: (timeoutMs = 5000) =>
      waitForRedis(redis, timeoutMs).catch((e) => log.warn({ timeoutMs, reason: (e as Error).message }, 'redis not ready; starting anyway, failing closed')),
    close: () => closeRedis(redis),
  };
}
