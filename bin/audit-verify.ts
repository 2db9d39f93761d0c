// npm run audit:verify [-- --archive DIR] — checks the access log without trusting Redis (the
// live log, an archive, or both: lib/audit/verify.ts), for a data-protection officer or a
// monitoring job. Exit codes: 0 intact, 1 broken (each problem named), 2 cannot check.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { auditConfig } from '../lib/config.ts';
import { loadSettings } from '../lib/config/layers.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { verifierKeys } from '../lib/audit/log-keys.ts';
import { verifyAccessLog, type Verification } from '../lib/audit/verify.ts';
import { describeCheckpoint } from '../lib/audit/checkpoint.ts';
import { closeRedis, createRedis, redactRedisUrl, waitForRedis } from '../lib/redis/connection.ts';
import { logTo } from '../lib/log.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run audit:verify [-- --archive DIR]
  Checks the access log without trusting Redis, and prints "access log intact: ..." with
  what it checked, or one line per problem found ("access log BROKEN at <where>: <what>").
  The live log (AUDIT_REDIS_URL, else REDIS_URL; AUDIT_REDIS_PREFIX, else REDIS_PREFIX): its
  hash chain; every checkpoint's signature, their sequence and each against the record it
  seals; the head against the last checkpoint known; every person's index against the records.
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

function report(v: Verification, redisWhere: string | undefined): void {
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
    if (redisWhere) console.log(`  in ${redisWhere}`);
  }
  const a = v.archive;
  if (a) {
    const line = `archive ${a.dir}: ${a.lastId} entries in ${a.records} records (${a.segments} segments), ${a.checkpoints} checkpoints${a.sealed ? `, sealed through record ${a.sealed.seq} (checkpoint ${a.sealed.checkpoint})` : ''}`;
    if (!live) console.log(`access log ${line}: intact`);
    else console.log(`  ${line}; the live log extends it`);
  }
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
  let production: boolean;
  let keys;
  try {
    const { settings } = loadSettings(process.env);
    production = settings.env === 'production';
    audit = auditConfig(settings);
    keys = verifierKeys(audit, production).trusted;
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
  try {
    if (redis) {
      try {
        await waitForRedis(redis, CONNECT_TIMEOUT_MS);
      } catch (e) {
        console.error(`cannot reach Redis at ${redactRedisUrl(url!)}: ${(e as Error).message}`);
        return 2;
      }
    }
    let verification: Verification;
    try {
      verification = await verifyAccessLog({
        ...(redis ? { store: new RedisAuditLog(redis, { prefix: audit.redisPrefix }) } : {}),
        ...(archiveDir !== undefined ? { archiveDir } : {}),
        keys,
      });
    } catch (e) {
      console.error(`could not read the access log${url ? ` from Redis at ${redactRedisUrl(url)}` : ''}: ${(e as Error).message}`);
      return 2;
    }
    report(verification, url ? `${redactRedisUrl(url)}, prefix ${JSON.stringify(audit.redisPrefix)}` : undefined);
    if (verification.ok) return 0;
    // A log signed with keys this verifier was not given cannot be judged: say so rather than call it broken.
    if (keys.size === 0 && verification.findings.some((f) => f.problem.includes("not one of the log's keys"))) {
      console.error('audit:verify: no keys to check the signatures with; set AUDIT_PUBLIC_KEY_FILES');
      return 2;
    }
    return 1;
  } finally {
    if (redis) await closeRedis(redis);
  }
}

// Exit now rather than when the event loop drains: an ioredis client closed while it was
// reconnecting keeps a 2 s socket timer alive for nothing.
process.exit(await main());
