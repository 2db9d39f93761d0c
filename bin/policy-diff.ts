// npm run policy:diff -- <old> <new> [--log FILE]... [--redis] [--consents FILE] [--json]
// Says what changes between two policies for whom, in a DPO's words, and with a recorded
// access log, replays it against the new policy. <old>/<new>: a file, or <git-rev>:<path>.
// --log: a .jsonl/.json export of access-log entries (AccessLogEntry, with avs);
// --redis: the access log (and the consents, if the signing key is at hand) in REDIS_URL /
// REDIS_PREFIX (the log in AUDIT_REDIS_URL / AUDIT_REDIS_PREFIX when it has its own Redis). --consents: a JSON array of consent records to decide consent rules with.
// Exit codes: 0 done, 1 a policy or a log cannot be read, 2 bad arguments.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AccessLogEntry } from '../lib/audit/log.ts';
import { DEFAULT_CONSENT_SIGNING_KEY_FILE } from '../lib/config.ts';
import { RedisConsentStore } from '../lib/consents/redis.ts';
import { ConsentSigner } from '../lib/consents/signing.ts';
import type { ConsentRecord } from '../lib/consents/store.ts';
import { StartupError } from '../lib/errors.ts';
import { logTo } from '../lib/log.ts';
import { diffPolicies } from '../lib/policy-review/diff.ts';
import { renderReplay, replayAccessLog } from '../lib/policy-review/replay.ts';
import { readAccessLogFile, readPolicySource, readRedisAccessLog } from '../lib/policy-review/sources.ts';
import { closeRedis, createRedis, redactRedisUrl, waitForRedis } from '../lib/redis/connection.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { z } from 'zod';
import { RedisCaseRepertory } from '../lib/cases/redis.ts';
import { StoredCase, type CaseRecord } from '../lib/cases/store.ts';
import { HmacSigner, readSigningKeyFile } from '../lib/signing.ts';

const USAGE = 'usage: npm run policy:diff -- <old> <new> [--log FILE]... [--redis] [--consents FILE] [--cases FILE] [--json]\n  <old>, <new>: a policy file or <git-rev>:<path>, e.g. HEAD~1:schema/policy/sample.json';

function signingKey(): Buffer | undefined {
  try {
    return readSigningKeyFile(process.env.CONSENT_SIGNING_KEY_FILE ?? DEFAULT_CONSENT_SIGNING_KEY_FILE);
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  // stdout is the report (and --json must parse): the process's logs go to stderr.
  logTo(process.stderr);
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        log: { type: 'string', multiple: true },
        redis: { type: 'boolean' },
        consents: { type: 'string' },
        cases: { type: 'string' },
        json: { type: 'boolean' },
        'max-ids': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.positionals.length !== 2) {
    console.error(`two policies are needed, the old and the new one\n${USAGE}`);
    return 2;
  }
  const maxIds = args.values['max-ids'] === undefined ? 10 : Number(args.values['max-ids']);
  if (!Number.isInteger(maxIds) || maxIds < 0) {
    console.error(`--max-ids: a whole number\n${USAGE}`);
    return 2;
  }
  const [oldSpec, newSpec] = args.positionals as [string, string];
  const catalogue = loadCatalogue();
  let oldPolicy, newPolicy;
  try {
    oldPolicy = readPolicySource(oldSpec, catalogue);
    newPolicy = readPolicySource(newSpec, catalogue);
  } catch (e) {
    if (e instanceof StartupError) {
      console.error(`Cannot read a policy: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const diff = diffPolicies(oldPolicy, newPolicy, catalogue);

  // The recorded log, if asked for.
  const entries: AccessLogEntry[] = [];
  let consentsByAvs: Map<string, ConsentRecord[]> | undefined;
  let casesByAvs: Map<string, CaseRecord[]> | undefined;
  const notes: string[] = [];
  try {
    for (const file of args.values.log ?? []) entries.push(...readAccessLogFile(file));
  } catch (e) {
    console.error(`Cannot read the access log: ${(e as Error).message}`);
    return 1;
  }
  if (args.values.consents) {
    try {
      const list = JSON.parse(readFileSync(args.values.consents, 'utf8')) as ConsentRecord[];
      if (!Array.isArray(list)) throw new Error('expected a JSON array of consent records');
      consentsByAvs = new Map();
      for (const c of list) consentsByAvs.set(c.avs, [...(consentsByAvs.get(c.avs) ?? []), c]);
    } catch (e) {
      console.error(`Cannot read the consents: ${(e as Error).message}`);
      return 1;
    }
  }
  if (args.values.cases) {
    try {
      const list = z.array(StoredCase).parse(JSON.parse(readFileSync(args.values.cases, 'utf8')));
      casesByAvs = new Map();
      for (const c of list) casesByAvs.set(c.avs, [...(casesByAvs.get(c.avs) ?? []), c]);
    } catch (e) {
      console.error(`Cannot read the cases: ${(e as Error).message}`);
      return 1;
    }
  }
  if (args.values.redis) {
    const url = process.env.REDIS_URL;
    if (!url) {
      console.error('--redis needs REDIS_URL (and REDIS_PREFIX if not "ciigraph:").');
      return 2;
    }
    const prefix = process.env.REDIS_PREFIX || 'ciigraph:';
    const redis = createRedis(url, { name: 'policy-diff' });
    // The access log may live in a Redis of its own (AUDIT_REDIS_URL, AUDIT_REDIS_PREFIX).
    const auditUrl = process.env.AUDIT_REDIS_URL;
    const auditRedis = auditUrl ? createRedis(auditUrl, { name: 'policy-diff audit' }) : redis;
    try {
      await waitForRedis(redis, 5000);
      await waitForRedis(auditRedis, 5000);
      const { entries: fromRedis, unreadable } = await readRedisAccessLog(auditRedis, process.env.AUDIT_REDIS_PREFIX || prefix);
      entries.push(...fromRedis);
      if (unreadable.length) notes.push(`${unreadable.length} records of the Redis log could not be read (run npm run audit:verify): ${unreadable.slice(0, 10).join(', ')}`);
      const key = signingKey();
      if (key && !consentsByAvs) {
        const store = new RedisConsentStore(redis, new ConsentSigner(key), { prefix, log: (m) => notes.push(m) });
        const persons = [...new Set(entries.map((e) => e.avs))];
        consentsByAvs = new Map();
        for (let i = 0; i < persons.length; i += 500) {
          for (const [avs, list] of await store.forPersons(persons.slice(i, i + 500))) consentsByAvs.set(avs, list);
        }
      } else if (!key) {
        notes.push('The consent registry was not read (no consent signing key: set CONSENT_SIGNING_KEY_FILE); accesses that need a consent are reported as to check.');
      }
      if (key && !casesByAvs) {
        const repertory = new RedisCaseRepertory(redis, new HmacSigner(key), { prefix });
        const persons = [...new Set(entries.map((e) => e.avs))];
        casesByAvs = new Map();
        for (let i = 0; i < persons.length; i += 500) for (const [avs, list] of await repertory.forPersons(persons.slice(i, i + 500))) casesByAvs.set(avs, list);
      } else if (!key) {
        notes.push('The case repertory was not read (no store signing key: set CONSENT_SIGNING_KEY_FILE); accesses that need an open case are reported as to check.');
      }
    } catch (e) {
      console.error(`Cannot read the access log from Redis at ${redactRedisUrl(url)}: ${(e as Error).message}`);
      return 1;
    } finally {
      await closeRedis(redis);
      if (auditRedis !== redis) await closeRedis(auditRedis);
    }
  }
  const replay =
    args.values.log || args.values.redis
      ? replayAccessLog(entries, newPolicy, {
          old: oldPolicy,
          ...(consentsByAvs ? { consentsOf: (avs: string) => consentsByAvs.get(avs) ?? [] } : {}),
          ...(casesByAvs ? { casesOf: (avs: string) => casesByAvs.get(avs) ?? [] } : {}),
        })
      : undefined;

  if (args.values.json) {
    console.log(JSON.stringify({ diff, replay, notes }, null, 2));
    return 0;
  }
  const out: string[] = [];
  out.push(`Policy diff: ${oldSpec} ("${oldPolicy.name}" ${oldPolicy.version}) → ${newSpec} ("${newPolicy.name}" ${newPolicy.version})`, '');
  if (diff.sentences.length === 0) out.push('No difference: the two policies release the same data to the same requesters under the same rules.');
  else {
    out.push('What changes:');
    for (const s of diff.sentences) out.push(`  - ${s}`);
  }
  if (replay) out.push('', renderReplay(replay, { maxIds }));
  else out.push('', 'No access log given (--log FILE or --redis): past accesses were not replayed.');
  for (const n of notes) out.push('', `Note: ${n}`);
  console.log(out.join('\n'));
  return 0;
}

// Exit now rather than when the event loop drains: a closed ioredis client can keep a timer alive.
process.exit(await main());
