// Where consents, the case repertory and the access log live: in memory (the embedded default,
// one process) or, with REDIS_URL, in Redis, shared by every gateway and subgraph instance.
import type { Redis } from 'ioredis';
import { personFactsReader, type PersonFactsReader } from './access/person-facts.ts';
import { Checkpointer } from './audit/checkpoint.ts';
import { Journal } from './audit/journal.ts';
import { writerKeys } from './audit/log-keys.ts';
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
import { HmacSigner, readSigningKeyFile } from './signing.ts';
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
  /** Seals the access log (none when the log was given: tests). */
  checkpointer: Checkpointer | undefined;
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
    return readSigningKeyFile(config.consentSigningKeyFile);
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
  const opts = { prefix: config.redisPrefix };
  const redis: Redis | undefined = config.redisUrl ? createRedis(config.redisUrl, { name: 'ciigraph' }) : undefined;
  // The access log in a Redis of its own (AUDIT_REDIS_URL), in the shared one, or in memory.
  const auditUrl = config.audit.redisUrl;
  const auditRedis = auditUrl === undefined ? undefined : auditUrl === config.redisUrl && redis ? redis : createRedis(auditUrl, { name: 'ciigraph audit' });
  const clients = [...new Set([redis, auditRedis].filter((c): c is Redis => c !== undefined))];
  try {
    const { audit, checkpointer } = given.audit ? { audit: given.audit, checkpointer: undefined } : openAuditLog(config, auditRedis);
    const key = redis ? consentSigningKey(config) : undefined;
    const consents = given.consents ?? (redis ? new RedisConsentStore(redis, new ConsentSigner(key!), opts) : new MemoryConsentStore());
    const cases = given.cases ?? (redis ? new RedisCaseRepertory(redis, new HmacSigner(key!), { ...opts, seed }) : new MemoryCaseRepertory(seed));
    return {
      kind: clients.length ? 'redis' : 'memory',
      consents,
      cases,
      forms: given.forms ?? openConsentFormStore(config, redis),
      audit,
      notifications: given.notifications ?? (redis ? new RedisNotificationStore(redis, new HmacSigner(key!), opts) : new MemoryNotificationStore()),
      journal: new Journal(audit),
      checkpointer,
      readFacts: personFactsReader(consents, cases),
      status: () => (clients.every((c) => c.status === 'ready') ? 'up' : 'down'),
      ready: (timeoutMs = 5000) =>
        Promise.all(clients.map((c) => waitForRedis(c, timeoutMs)))
          .then(() => {})
          .catch((e) => log.warn({ timeoutMs, reason: (e as Error).message }, 'redis not ready; starting anyway, failing closed')),
      close: async () => {
        // The last appends sealed before the connections go.
        await checkpointer?.close();
        await Promise.all(clients.map((c) => closeRedis(c)));
      },
    };
  } catch (e) {
    for (const c of clients) c.disconnect(false);
    throw e;
  }
}

/** The access log and what seals it: checkpoints signed with the writers' key (lib/audit/checkpoint.ts). */
function openAuditLog(config: Config, redis: Redis | undefined): { audit: AuditLog; checkpointer: Checkpointer } {
  const keys = writerKeys(config.audit, config.env === 'production', { keepsPublicHalf: redis !== undefined });
  const store = redis
    ? new RedisAuditLog(redis, { prefix: config.audit.redisPrefix, durability: config.audit.durability })
    : new MemoryAuditLog();
  // Only this process writes an in-memory log: nothing to re-read before signing.
  const checkpointer = new Checkpointer(store, keys.signer, keys.trusted, config.audit.checkpoint, { verifyBeforeSigning: redis !== undefined }).start();
  return { audit: store, checkpointer };
}
