// npm run audit:verify [-- --archive DIR] — checks the access log without trusting Redis (the
// live log, an archive, or both: lib/audit/verify.ts), for a data-protection officer or a
// monitoring job. Exit codes: 0 intact, 1 broken (each problem named), 2 cannot check.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { auditConfig, DEFAULT_CONSENT_SIGNING_KEY_FILE } from '../lib/config.ts';
import { loadSettings } from '../lib/config/layers.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { verifierKeys } from '../lib/audit/log-keys.ts';
import { verifyAccessLog, type Verification } from '../lib/audit/verify.ts';
import { describeCheckpoint } from '../lib/audit/checkpoint.ts';
import { checkRevocations, type RevocationCheck } from '../lib/audit/revocations.ts';
import { RedisConsentStore } from '../lib/consents/redis.ts';
import { ConsentSigner } from '../lib/consents/signing.ts';
import { closeRedis, createRedis, redactRedisUrl, waitForRedis } from '../lib/redis/connection.ts';
import { readSigningKeyFile } from '../lib/signing.ts';
import { logTo } from '../lib/log.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run audit:verify [-- --archive DIR]
  Checks the access log without trusting Redis, and prints "access log intact: ..." with
  what it checked, or one line per problem found ("access log BROKEN at <where>: <what>").
  The live log (AUDIT_REDIS_URL, else REDIS_URL; AUDIT_REDIS_PREFIX, else REDIS_PREFIX): its
  hash chain; every checkpoint's signature, their sequence and each against the record it
  seals; the head against the last checkpoint known; every person's index against the records;
  and every consent the log says was revoked, against the consent store (REDIS_URL,
  REDIS_PREFIX, CONSENT_SIGNING_KEY_FILE): one found in force there was rolled back in Redis.
  --archive DIR: an archive written by npm run audit:archive (signed manifest, files, chain,
  checkpoints), alone when no Redis URL is set; with one, also that the live log extends it
  (a truncation or a flushed Redis after the last seal is named).
  Keys: AUDIT_PUBLIC_KEY_FILES and the public half of AUDIT_SIGNING_KEY_FILE (or the
  configuration file's audit section, CIIGRAPH_CONFIG); outside production also the
  development keys kept in .ciigraph/audit-development-keys/.
  Exit codes: 0 intact, 1 broken, 2 cannot check.`);

// stdout carries the verdict alone; operational logs (Redis connection) go to stderr.
logTo(pino.destination(2));

const CONNECT_TIMEOUT_MS = 5000;

/** The consent store's agreement with the log's revocations, or why it could not be checked. */
type Revocations = RevocationCheck | { notChecked: string };

function report(v: Verification, redisWhere: string | undefined, revocations: Revocations | undefined): void {
  if (!v.ok) {
    for (const f of v.findings) console.log(`access log BROKEN at ${f.where}: ${f.problem}`);
    return;
  }
  const live = v.live;
  if (live) {
    const records = live.headSeq - live.firstSeq + 1;
    console.log(
      live.firstSeq === 1
        ? `access log intact: ${live.lastId} entries in ${live.headSeq} records, head ${live.head}`
        : `access log intact: entries up to ${live.lastId}, records ${live.firstSeq}–${live.headSeq} (${records}) in Redis, 1–${live.firstSeq - 1} archived and removed, head ${live.head}`,
    );
    if (live.latest) {
      console.log(
        `  sealed: ${live.checkpoints} checkpoints, signatures valid (key ${live.keyIds.join(', ')}); the latest, ${describeCheckpoint(live.latest)} at ${live.latest.at}` +
          (live.unsealed ? `; ${live.unsealed} records after it not sealed yet` : '; nothing after it'),
      );
    } else if (live.headSeq > 0) console.log(`  not sealed: no checkpoint yet (records ${live.firstSeq}–${live.headSeq})`);
    if (live.persons !== null) console.log(`  person indexes: ${live.persons}, each matches the records`);
    if (revocations) {
      console.log('notChecked' in revocations ? `  consent revocations: not checked (${revocations.notChecked})` : `  consent revocations: ${revocations.revoked} in the log, each stands in the consent store`);
    }
    if (redisWhere) console.log(`  in ${redisWhere}`);
  }
  const a = v.archive;
  if (a) {
    const line = `archive ${a.dir}: ${a.lastId} entries in ${a.records} records (${a.segments} segments), ${a.checkpoints} checkpoints${a.sealed ? `, sealed through record ${a.sealed.seq} (checkpoint ${a.sealed.checkpoint})` : ''}`;
    if (!live) console.log(`access log ${line}: intact`);
    else console.log(`  ${line}; the live log extends it`);
  }
}

type ConsentsAt = { url: string; prefix: string; key: Buffer } | { notChecked: string };
type ConsentStoreToCheck = { consents: RedisConsentStore } | { notChecked: string };

/** Where the stack keeps its consents, and the key they are signed with; or why they cannot be read here. */
function consentsOf(url: string | undefined, prefix: string, keyFile: string): ConsentsAt {
  if (!url) return { notChecked: 'REDIS_URL, where the consents are kept, is not set' };
  try {
    return { url, prefix, key: readSigningKeyFile(keyFile) };
  } catch (e) {
    return { notChecked: `no usable consent signing key at ${keyFile} (CONSENT_SIGNING_KEY_FILE): ${(e as Error).message}` };
  }
}

/** Every consent the live log says was revoked, against the consent store. */
async function revocationsAgainstStore(log: RedisAuditLog, store: ConsentStoreToCheck): Promise<Revocations> {
  if ('notChecked' in store) return store;
  async function* entries() {
    for await (const { entries: read } of log.recordEntries()) yield read;
  }
  return checkRevocations(entries(), store.consents);
}

async function main(): Promise<number> {
  let archiveDir: string | undefined;
  try {
    archiveDir = parseArgs({ options: { archive: { type: 'string' } }, strict: true }).values.archive;
  } catch (e) {
    console.error(`audit:verify: ${(e as Error).message}`);
    return 2;
  }
  let audit;
  let consentsAt: ConsentsAt;
  let production: boolean;
  let keys;
  try {
    const { settings } = loadSettings(process.env);
    production = settings.env === 'production';
    audit = auditConfig(settings);
    keys = verifierKeys(audit, production).trusted;
    consentsAt = consentsOf(settings.redis.url, settings.redis.prefix, settings.consentSigningKeyFile ?? DEFAULT_CONSENT_SIGNING_KEY_FILE);
  } catch (e) {
    console.error(`audit:verify: ${(e as Error).message}`);
    return 2;
  }
  const url = audit.redisUrl;
  if (!url && archiveDir === undefined) {
    console.error(
      'REDIS_URL is not set: without it the access log is kept in memory inside the running stack ' +
        '(npm start) and there is no log here to verify. Set REDIS_URL or AUDIT_REDIS_URL (and REDIS_PREFIX if not "ciigraph:"), or give --archive DIR.',
    );
    return 2;
  }
  if (keys.size === 0) console.error('audit:verify: no public key configured (AUDIT_PUBLIC_KEY_FILES, AUDIT_SIGNING_KEY_FILE): signatures cannot be checked');

  const redis = url ? createRedis(url, { name: 'audit-verify' }) : undefined;
  const liveLog = redis ? new RedisAuditLog(redis, { prefix: audit.redisPrefix }) : undefined;
  // The consents may live in another Redis than the log (AUDIT_REDIS_URL).
  const consentRedis = 'url' in consentsAt ? (consentsAt.url === url && redis ? redis : createRedis(consentsAt.url, { name: 'audit-verify consents' })) : undefined;
  const consentStore: ConsentStoreToCheck =
    'url' in consentsAt ? { consents: new RedisConsentStore(consentRedis!, new ConsentSigner(consentsAt.key), { prefix: consentsAt.prefix, log: () => {} }) } : consentsAt;
  try {
    if (redis) {
      try {
        await waitForRedis(redis, CONNECT_TIMEOUT_MS);
      } catch (e) {
        console.error(`cannot reach Redis at ${redactRedisUrl(url!)}: ${(e as Error).message}`);
        return 2;
      }
    }
    if (consentRedis && consentRedis !== redis && redis) {
      try {
        await waitForRedis(consentRedis, CONNECT_TIMEOUT_MS);
      } catch (e) {
        console.error(`cannot reach the consents' Redis at ${redactRedisUrl('url' in consentsAt ? consentsAt.url : '')}: ${(e as Error).message}`);
        return 2;
      }
    }
    let verification: Verification;
    try {
      verification = await verifyAccessLog({
        ...(liveLog ? { store: liveLog } : {}),
        ...(archiveDir !== undefined ? { archiveDir } : {}),
        keys,
      });
    } catch (e) {
      console.error(`could not read the access log${url ? ` from Redis at ${redactRedisUrl(url)}` : ''}: ${(e as Error).message}`);
      return 2;
    }
    let revocations: Revocations | undefined;
    // Once the log itself holds: its revocations are then evidence.
    if (liveLog && verification.ok && verification.live) {
      try {
        revocations = await revocationsAgainstStore(liveLog, consentStore);
      } catch (e) {
        console.error(`could not check the consent revocations: ${(e as Error).message}`);
        return 2;
      }
      if ('findings' in revocations && revocations.findings.length) verification = { ...verification, ok: false, findings: [...verification.findings, ...revocations.findings] };
    }
    report(verification, url ? `${redactRedisUrl(url)}, prefix ${JSON.stringify(audit.redisPrefix)}` : undefined, revocations);
    if (verification.ok) return 0;
    // A log signed with keys this verifier was not given cannot be judged: say so rather than call it broken.
    if (keys.size === 0 && verification.findings.some((f) => f.problem.includes("not one of the log's keys"))) {
      console.error('audit:verify: no keys to check the signatures with; set AUDIT_PUBLIC_KEY_FILES');
      return 2;
    }
    return 1;
  } finally {
    if (redis) await closeRedis(redis);
    if (consentRedis && consentRedis !== redis) await closeRedis(consentRedis);
  }
}

// Exit now rather than when the event loop drains: an ioredis client closed while it was
// reconnecting keeps a 2 s socket timer alive for nothing.
process.exit(await main());
