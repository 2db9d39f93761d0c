// Where the DPO tooling reads from: a policy as a file or as `<git-rev>:<path>`, and a recorded
// access log as a JSON Lines / JSON file or straight from Redis (read by lib/audit/redis.ts,
// which owns that layout).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parsePolicy, type Policy } from '../access/policy.ts';
import { DENIAL_REASONS } from '../access/decision.ts';
import { LOG_ACTIONS, type AccessLogEntry } from '../audit/log.ts';
import { RedisAuditLog } from '../audit/redis.ts';
import { StartupError } from '../errors.ts';
import { Institution, type CategoryCatalogue } from '../schema/catalogue.ts';

/** Reads a policy from a file, or from git when the argument is `<rev>:<path>` and no such file exists. */
export function readPolicySource(spec: string, catalogue: CategoryCatalogue, cwd = process.cwd()): Policy {
  let text: string;
  const rev = /^([^:]+):(.+)$/.exec(spec);
  if (existsSync(spec) || !rev) {
    try {
      text = readFileSync(spec, 'utf8');
    } catch (e) {
      throw new StartupError(spec, [`cannot read: ${(e as Error).message}`]);
    }
  } else {
    try {
      // execFile, no shell: the argument is data.
      text = execFileSync('git', ['show', `${rev[1]}:${rev[2]}`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim();
      throw new StartupError(spec, [`git show ${rev[1]}:${rev[2]} failed: ${stderr}`]);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StartupError(spec, [`not JSON: ${(e as Error).message}`]);
  }
  return parsePolicy(json, catalogue, spec);
}

const nullable = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? null);

/** An access-log entry as exported (our JSON/JSONL export). */
export const AccessLogEntrySchema = z.object({
  id: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative().transform(String)]),
  at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 timestamp'),
  institution: Institution,
  role: z.string().min(1),
  subject: z.string(),
  // The GraphQL accessLog leaves the AVS out (it is the argument); the replay needs it.
  avs: z.string({ error: "no AVS number (the GraphQL accessLog omits it: export with /policy/access-log?format=json, or use --redis)" }).min(1),
  category: z.string().min(1),
  decision: z.enum(['ALLOWED', 'DENIED']),
  legalBasis: nullable(z.string()),
  consentId: nullable(z.string()),
  purpose: nullable(z.string()),
  caseReference: nullable(z.string()),
  subgraph: z.string().default(''),
  requestId: z.string().default(''),
  // Written by ciigraph 0.5 and later; an older export reads as decisions with no reason or rule.
  action: z.enum(LOG_ACTIONS).default('READ'),
  client: nullable(z.string()),
  reason: nullable(z.enum(DENIAL_REASONS)),
  rule: nullable(z.number().int().nonnegative()),
  condition: nullable(z.string()),
  policy: nullable(z.string()),
});

function parseEntry(raw: unknown, where: string): AccessLogEntry {
  const r = AccessLogEntrySchema.safeParse(raw);
  if (!r.success) throw new Error(`${where}: not an access-log entry: ${r.error.issues.map((i) => `${i.path.join('.') || '(entry)'} ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * A log file: JSON Lines (one entry per line), a JSON array of entries, or `{ "entries": [...] }`.
 * Every entry must carry the person's AVS number (the GraphQL accessLog leaves it out, since
 * it is the argument): export with /policy/access-log?format=json or from Redis.
 */
export function readAccessLogFile(file: string): AccessLogEntry[] {
  const text = readFileSync(file, 'utf8');
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined; // several documents: JSON Lines
  }
  if (whole !== undefined) {
    const list = Array.isArray(whole) ? whole : (whole as { entries?: unknown } | null)?.entries;
    if (Array.isArray(list)) return list.map((e, i) => parseEntry(e, `${file} entry ${i}`));
    return [parseEntry(whole, `${file}:1`)];
  }
  const out: AccessLogEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(e as Error).message}`);
    }
    out.push(parseEntry(json, `${file}:${i + 1}`));
  });
  return out;
}

/**
 * Every entry of the Redis access log, oldest first, up to its head. Records that are missing
 * or unreadable are skipped and named: checking the chain is `npm run audit:verify`'s job.
 */
export function readRedisAccessLog(redis: Redis, prefix: string, chunk?: number): Promise<{ entries: AccessLogEntry[]; unreadable: string[] }> {
  return new RedisAuditLog(redis, { prefix }).readAll(chunk);
}
