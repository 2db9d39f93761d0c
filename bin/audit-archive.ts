// npm run audit:archive -- --out DIR — seals the live access log into DIR (lib/audit/archive.ts),
// verifies the archive and that the live log extends it (lib/audit/verify.ts), then applies
// retention (lib/audit/retention.ts). Exit codes: 0 sealed and verified, 1 the log or the
// archive does not verify (nothing removed), 2 cannot run.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { auditConfig } from '../lib/config.ts';
import { loadSettings } from '../lib/config/layers.ts';
import { systemClock } from '../lib/clock.ts';
import { Archive, DEFAULT_SEGMENT_RECORDS, sealArchive } from '../lib/audit/archive.ts';
import { Checkpointer, readCheckpoint } from '../lib/audit/checkpoint.ts';
import { writerKeys } from '../lib/audit/log-keys.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { pruneArchived } from '../lib/audit/retention.ts';
import { verifyAccessLog } from '../lib/audit/verify.ts';
import { closeRedis, createRedis, redactRedisUrl, waitForRedis } from '../lib/redis/connection.ts';
import { logTo } from '../lib/log.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run audit:archive -- --out DIR [--segment-records N]
  Seals the live access log (AUDIT_REDIS_URL, else REDIS_URL; AUDIT_REDIS_PREFIX, else
  REDIS_PREFIX) into DIR: signs a checkpoint of its head with the writers' key
  (AUDIT_SIGNING_KEY_FILE), writes the records DIR lacks as segments of N records (default
  ${DEFAULT_SEGMENT_RECORDS}) and the checkpoints it lacks, each step followed by a signed manifest,
  then verifies DIR and that the live log extends it. Idempotent (nothing new: nothing
  changes) and resumable (a run stopped half-way leaves an archive that verifies; the next
  run goes on from it). With a retention period (AUDIT_RETENTION_DAYS, audit.retentionDays),
  records older than that which the verified archive holds then leave Redis; unset, nothing
  ever leaves. Check an archive with npm run audit:verify -- --archive DIR.
  Exit codes: 0 sealed and verified, 1 the log or the archive does not verify (nothing is
  removed), 2 cannot run.`);

logTo(pino.destination(2));

const CONNECT_TIMEOUT_MS = 5000;
const DAY_MS = 86_400_000;

async function main(): Promise<number> {
  let out: string | undefined;
  let segmentRecords = DEFAULT_SEGMENT_RECORDS;
  try {
    const { values } = parseArgs({ options: { out: { type: 'string' }, 'segment-records': { type: 'string' } }, strict: true });
    out = values.out;
    if (values['segment-records'] !== undefined) {
      segmentRecords = Number(values['segment-records']);
      if (!Number.isInteger(segmentRecords) || segmentRecords < 1) throw new Error('--segment-records needs a positive whole number');
    }
    if (!out) throw new Error('--out DIR is required');
  } catch (e) {
    console.error(`audit:archive: ${(e as Error).message}`);
    return 2;
  }
  let audit;
  let keys;
  let production: boolean;
  try {
    const { settings } = loadSettings(process.env);
    production = settings.env === 'production';
    audit = auditConfig(settings);
    keys = writerKeys(audit, production, { keepsPublicHalf: true });
  } catch (e) {
    console.error(`audit:archive: ${(e as Error).message}`);
    return 2;
  }
  const url = audit.redisUrl;
  if (!url) {
    console.error('audit:archive: REDIS_URL (or AUDIT_REDIS_URL) is not set: the in-memory log of a running stack cannot be archived.');
    return 2;
  }
  const redis = createRedis(url, { name: 'audit-archive' });
  try {
    try {
      await waitForRedis(redis, CONNECT_TIMEOUT_MS);
    } catch (e) {
      console.error(`cannot reach Redis at ${redactRedisUrl(url)}: ${(e as Error).message}`);
      return 2;
    }
    const store = new RedisAuditLog(redis, { prefix: audit.redisPrefix, durability: audit.durability });
    const checkpointer = new Checkpointer(store, keys.signer, keys.trusted, audit.checkpoint, { verifyBeforeSigning: true });

    let sealed;
    try {
      sealed = await sealArchive(store, checkpointer, keys.signer, keys.trusted, out, { segmentRecords });
    } catch (e) {
      console.log(`access log NOT archived: ${(e as Error).message}`);
      return 1;
    }
    const span = sealed.end.seq ? `records 1–${sealed.end.seq} (entries 1–${sealed.end.lastId})` : 'no record yet';
    const seal = sealed.sealed ? `, sealed through record ${sealed.sealed.seq} (checkpoint ${sealed.sealed.checkpoint})` : '';
    console.log(
      sealed.unchanged
        ? `access log archive unchanged: ${out} already holds ${span}${seal}`
        : `access log archived: ${out} holds ${span}${seal}; this run wrote ${sealed.written.length} segments and ${sealed.checkpointsAdded} checkpoints`,
    );

    const verification = await verifyAccessLog({ store, archiveDir: out, keys: keys.trusted });
    if (!verification.ok) {
      for (const f of verification.findings) console.log(`access log BROKEN at ${f.where}: ${f.problem}`);
      console.log('retention: nothing removed (the archive or the live log does not verify)');
      return 1;
    }
    console.log('  verified: the archive, and the live log extending it');

    if (audit.retentionDays === undefined) return 0;
    const archive = Archive.open(out, keys.trusted)!;
    const lines = archive.checkpointLines();
    const checkpoints = lines.map((l) => {
      const r = readCheckpoint(l, keys.trusted);
      if (!r.ok) throw new Error(`archived checkpoint does not hold: ${r.reason}`);
      return r.checkpoint;
    });
    const cutoff = systemClock.now().getTime() - audit.retentionDays * DAY_MS;
    const pruned = await pruneArchived(store, keys.signer, { checkpoints, checkpointTexts: lines, limit: archive.end.seq }, cutoff, systemClock);
    console.log(
      pruned.removed
        ? `  retention (${audit.retentionDays} days): removed ${pruned.removed} records from Redis; records 1–${pruned.through} are now in the archive only`
        : `  retention (${audit.retentionDays} days): nothing to remove${pruned.through ? ` (records 1–${pruned.through} are in the archive only)` : ''}`,
    );
    return 0;
  } catch (e) {
    console.error(`audit:archive: ${(e as Error).message}`);
    return 2;
  } finally {
    await closeRedis(redis);
  }
}

process.exit(await main());
