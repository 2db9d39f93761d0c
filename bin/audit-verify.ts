// npm run audit:verify — walks the whole access log in Redis and says whether its hash chain
// holds, for a data-protection officer or a monitoring job.
// Exit codes: 0 intact, 1 broken (names the first broken record and its entries), 2 cannot check.
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { closeRedis, createRedis, redactRedisUrl, waitForRedis } from '../lib/redis/connection.ts';
import pino from 'pino';
import { logTo } from '../lib/log.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run audit:verify
  Walks the access log's hash chain in Redis (REDIS_URL, REDIS_PREFIX) and prints
  "access log intact: N entries in M records", or names the first broken record and its
  entries. Exit codes: 0 intact, 1 broken, 2 cannot check.`);

// stdout carries the verdict alone; operational logs (Redis connection) go to stderr.
logTo(pino.destination(2));

const CONNECT_TIMEOUT_MS = 5000;

async function main(): Promise<number> {
  const url = process.env.REDIS_URL;
  if (!url) {
    console.error(
      'REDIS_URL is not set: without it the access log is kept in memory inside the running stack ' +
        '(npm start) and there is no log here to verify. Set REDIS_URL (and REDIS_PREFIX if not "ciigraph:").',
    );
    return 2;
  }
  const prefix = process.env.REDIS_PREFIX || 'ciigraph:';
  const redis = createRedis(url, { name: 'audit-verify' });
  try {
    try {
      await waitForRedis(redis, CONNECT_TIMEOUT_MS);
    } catch (e) {
      console.error(`cannot reach Redis at ${redactRedisUrl(url)}: ${(e as Error).message}`);
      return 2;
    }
    let verdict;
    try {
      verdict = await new RedisAuditLog(redis, { prefix }).verify();
    } catch (e) {
      console.error(`could not read the access log from Redis at ${redactRedisUrl(url)}: ${(e as Error).message}`);
      return 2;
    }
    if (verdict.ok) {
      console.log(`access log intact: ${verdict.count} entries in ${verdict.records} records, head ${verdict.head}`);
      return 0;
    }
    console.log(`access log BROKEN at ${verdict.firstBroken}: ${verdict.reason}`);
    return 1;
  } finally {
    await closeRedis(redis);
  }
}

// Exit now rather than when the event loop drains: an ioredis client closed while it was
// reconnecting keeps a 2 s socket timer alive for nothing.
process.exit(await main());
