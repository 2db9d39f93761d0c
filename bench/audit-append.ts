// The cost of an access log acknowledged only once on disk, on the bench's Redis variant
// (bench/lib/redis.ts: AOF, noeviction, a temporary directory): the journal's appends through
// the product's own path (lib/audit/journal.ts group commit → RedisAuditLog, checkpoints
// every 1000 records or 60 s) against two bench Redis servers side by side, one with
// `appendfsync everysec` (appends acknowledged as Redis applies them, AUDIT_DURABILITY=async)
// and one with `appendfsync always` (AUDIT_DURABILITY=fsync), loaded in alternating parts so
// drift of a shared machine hits both alike. Each caller journals one request's decisions
// (Q1: the painter, 14 categories; Q2-200: 200 persons × 14 categories) and waits for the
// acknowledgement, `--concurrency` callers at a time.
//
//   npx tsx bench/audit-append.ts [--seconds 16] [--parts 8] [--concurrency 32] [--persons 1|200] [--no-checkpoints]
import { parseArgs } from 'node:util';
import type { Decision } from '../lib/access/decision.ts';
import { Checkpointer } from '../lib/audit/checkpoint.ts';
import { Journal } from '../lib/audit/journal.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { groupOfDecisions } from '../lib/audit/record-format.ts';
import { ephemeralSigner, TrustedKeys } from '../lib/audit/signing-keys.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { readProcCpuSeconds } from './lib/proc.ts';
import { startBenchRedis, type BenchRedis } from './lib/redis.ts';
import { percentile } from './lib/stats.ts';
import { caseload, PAINTER } from './queries.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '16' }, parts: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '32' }, persons: { type: 'string', default: '1' }, 'no-checkpoints': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log('usage: npx tsx bench/audit-append.ts [--seconds 16] [--parts 8] [--concurrency 32] [--persons 1|200] [--no-checkpoints]\n  Journal appends per second, acknowledgement latency and Redis CPU per append, appendfsync everysec vs always.');
  process.exit(0);
}
const seconds = Number(values.seconds);
const parts = Number(values.parts);
const concurrency = Number(values.concurrency);
const persons = Number(values.persons) === 1 ? [PAINTER] : caseload(Number(values.persons));

const CATEGORIES = ['ac.registration', 'ac.entitlement', 'ac.measures', 'ac.employability', 'ai.file', 'ai.measures', 'ai.decision', 'ai.workCapacity', 'ai.medical', 'as.dossier', 'as.benefits', 'as.situation', 'pc.entitlement', 'pc.hypotheticalIncome'];
const decisions: Decision[] = persons.flatMap((avs) => CATEGORIES.map((category, i): Decision => (i % 5 === 4 ? { avs, category, allowed: false, reason: 'NO_CONSENT', rule: i } : { avs, category, allowed: true, rule: i, legalBasis: 'LAI art. 68bis' })));
const requester = { institution: 'AI' as const, role: 'case-manager', subject: 'bench-case-manager' };

interface Variant {
  name: 'everysec' | 'always';
  redis: BenchRedis;
  journal: Journal;
  log: RedisAuditLog;
  sealer: Checkpointer;
  close(): Promise<void>;
  appends: number;
  records: number;
  seconds: number;
  cpu: number;
  latencies: number[];
}

async function variant(name: Variant['name']): Promise<Variant> {
  const redis = await startBenchRedis(name);
  const client = createRedis(redis.url, { name: `audit-append-${name}` });
  await waitForRedis(client, 10_000);
  const log = new RedisAuditLog(client, { prefix: 'bench:', durability: name === 'always' ? 'fsync' : 'async' });
  const signer = ephemeralSigner();
  const sealer = new Checkpointer(log, signer, new TrustedKeys([signer.publicKey]), { everyRecords: 1000, everyMs: 60_000 }, { verifyBeforeSigning: true });
  if (!values['no-checkpoints']) sealer.start();
  return {
    name,
    redis,
    log,
    sealer,
    journal: new Journal(log),
    appends: 0,
    records: 0,
    seconds: 0,
    cpu: 0,
    latencies: [],
    close: async () => {
      if (!values['no-checkpoints']) await sealer.close();
      await closeRedis(client);
      await redis.stop();
    },
  };
}

async function headSeq(v: Variant): Promise<number> {
  const snapshot = await v.log.snapshot();
  return 'unreadable' in snapshot.head ? 0 : snapshot.head.seq;
}

async function load(v: Variant, ms: number): Promise<void> {
  const until = Date.now() + ms;
  const cpu0 = readProcCpuSeconds(v.redis.pid) ?? 0;
  const seq0 = await headSeq(v);
  const t0 = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const started = performance.now();
        await v.journal.decisions({ at: new Date().toISOString(), requester, purpose: 'cii', caseReference: 'AI-GE-2026-0815', subgraph: 'disability', requestId: `r-${n}`, policy: 'bench 1' }, decisions);
        v.latencies.push(performance.now() - started);
        n++;
      }
    }),
  );
  v.seconds += (performance.now() - t0) / 1000;
  v.appends += n;
  v.records += (await headSeq(v)) - seq0;
  v.cpu += (readProcCpuSeconds(v.redis.pid) ?? 0) - cpu0;
}

const variants = [await variant('everysec'), await variant('always')];
try {
  // Warm-up, then alternating parts: A B B A A B ...
  for (const v of variants) await load(v, 1000);
  for (const v of variants) Object.assign(v, { appends: 0, records: 0, seconds: 0, cpu: 0, latencies: [] });
  const partMs = (seconds * 1000) / parts;
  for (let p = 0; p < parts; p++) for (const v of p % 2 ? [...variants].reverse() : variants) await load(v, partMs);
  const rows = variants.map((v) => {
    const head = v.appends / v.seconds;
    return { v, perS: head, recordsPerS: v.records / v.seconds, p50: percentile(v.latencies, 50), p99: percentile(v.latencies, 99), cpuMsPerAppend: (v.cpu * 1000) / v.appends };
  });
  for (const v of variants) {
    const verdict = await v.log.verify();
    if (!verdict.ok) throw new Error(`${v.name}: the log does not verify`);
  }
  const [e, a] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(`journal appends of ${persons.length === 1 ? 'Q1 (1 person' : `Q2-${persons.length} (${persons.length} persons`} × ${CATEGORIES.length} categories), ${concurrency} callers, ${seconds} s per variant in ${parts} alternating parts`);
  console.log('| appendfsync | durability | appends/s | records/s | ack p50 ms | ack p99 ms | Redis CPU ms/append |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.v.name} | ${r.v.name === 'always' ? 'fsync' : 'async'} | ${r.perS.toFixed(0)} | ${r.recordsPerS.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpuMsPerAppend.toFixed(3)} |`);
  console.log(`always ÷ everysec: appends/s ${(a.perS / e.perS).toFixed(2)}×, p50 ${(a.p50 / e.p50).toFixed(2)}×, p99 ${(a.p99 / e.p99).toFixed(2)}×, Redis CPU per append ${(a.cpuMsPerAppend / e.cpuMsPerAppend).toFixed(2)}×`);
} finally {
  for (const v of variants) await v.close();
}
