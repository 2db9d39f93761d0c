// Consents in Redis, shared by every gateway and subgraph instance, so a revocation takes
// effect for the very next request everywhere. Each record is stored signed (signing.ts):
// whoever can write to Redis but does not hold the signing key cannot forge, widen or move a
// consent; such a record is simply not honoured.
//
// A revocation also leaves a signed trace apart from the record, written before it and never
// overwritten, which every read consults: writing the pre-revocation record back (a rollback of
// the store) changes nothing (CONTRACT.md section 7).
//
// Layout:
//   <prefix>consent:<id>          JSON of SignedConsent
//   <prefix>consents:avs:<avs>    sorted set of consent ids, scored by grant time (ms)
//   <prefix>consents:revoked      hash: consent id -> JSON of RevocationTrace (HSETNX only)
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/connection.ts';
import type { ConsentSigner, RevocationTrace, SignedConsent } from './signing.ts';
import type { ConsentRecord, ConsentStore, NewConsent } from './store.ts';
import { log } from '../log.ts';

// Compare-and-set: writes the new value only if the key still holds what we read. This is the
// optimistic concurrency of WATCH/MULTI without WATCH, which is unsound on a client shared by
// concurrent requests (any EXEC on the connection, e.g. a concurrent grant, UNWATCHes all keys).
const COMPARE_AND_SET = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

const REVOKE_ATTEMPTS = 5;

export interface RedisConsentStoreOptions {
  /** Key prefix; default 'ciigraph:'. */
  prefix?: string;
  /** Where records that are not honoured are reported; default stderr. */
  log?: (message: string) => void;
}

export class RedisConsentStore implements ConsentStore {
  private readonly prefix: string;
  private readonly log: (message: string) => void;

  constructor(
    private readonly redis: Redis,
    private readonly signer: ConsentSigner,
    opts: RedisConsentStoreOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'ciigraph:';
    this.log = opts.log ?? ((m) => log.error({ store: 'consents' }, m));
  }

  private recordKey(id: string): string {
    return `${this.prefix}consent:${id}`;
  }

  private indexKey(avs: string): string {
    return `${this.prefix}consents:avs:${avs}`;
  }

  private revokedKey(): string {
    return `${this.prefix}consents:revoked`;
  }

  async grant(consent: NewConsent): Promise<ConsentRecord> {
    const score = Date.parse(consent.grantedAt);
    if (!Number.isFinite(score)) throw new Error(`grantedAt is not a timestamp: ${JSON.stringify(consent.grantedAt)}`);
    const record: ConsentRecord = { ...consent, id: randomUUID(), revokedAt: null, revokedBy: null };
    const signed = this.signer.sign(record);
    // Record and index together or not at all: an indexed id without a record, or a record
    // nobody can find, would be a consent that silently does not exist.
    const results = await this.redis
      .multi()
      .set(this.recordKey(record.id), JSON.stringify(signed))
      .zadd(this.indexKey(record.avs), score, record.id)
      .exec();
    throwOnPipelineError(results, 'grant');
    return structuredClone(record);
  }

  async revoke(id: string, at: string, by: ConsentRecord['recordedBy']): Promise<ConsentRecord | null> {
    const key = this.recordKey(id);
    for (let attempt = 0; attempt < REVOKE_ATTEMPTS; attempt++) {
      const [raw, trace] = await this.readWithTrace(id);
      if (raw === null) return null;
      const stored = this.open(id, raw);
      if (!stored) return null;
      const record = this.withTrace(stored, trace);
      if (!record) return null;
      // Revoked once: the first revocation stands (its trace included).
      if (record.revokedAt !== null) {
        if (trace === null) await this.writeTrace(record);
        return record;
      }
      const revoked: ConsentRecord = { ...record, revokedAt: at, revokedBy: by };
      // The trace first: if the record is never written, the consent is revoked all the same.
      await this.writeTrace(revoked);
      const written = await this.compareAndSet(key, raw, JSON.stringify(this.signer.sign(revoked)));
      if (written) return structuredClone(revoked);
      // Someone changed it between our read and write (a concurrent revoke): read again.
    }
    throw new Error(`consent ${id} kept changing while being revoked; gave up after ${REVOKE_ATTEMPTS} attempts`);
  }

  async get(id: string): Promise<ConsentRecord | null> {
    const [raw, trace] = await this.readWithTrace(id);
    if (raw === null) return null;
    const record = this.open(id, raw);
    return record && this.withTrace(record, trace);
  }

  async forPersons(avs: readonly string[]): Promise<Map<string, ConsentRecord[]>> {
    const persons = [...new Set(avs)];
    const out = new Map<string, ConsentRecord[]>(persons.map((a) => [a, []]));
    if (persons.length === 0) return out;

    // Round trip 1: every person's index.
    const pipeline = this.redis.pipeline();
    for (const a of persons) pipeline.zrevrange(this.indexKey(a), 0, -1);
    const indexes = throwOnPipelineError(await pipeline.exec(), 'forPersons') as string[][];

    const wanted: { avs: string; id: string }[] = [];
    persons.forEach((a, i) => {
      for (const id of indexes[i] ?? []) wanted.push({ avs: a, id });
    });
    if (wanted.length === 0) return out;

    // Round trip 2: every record and its revocation trace, whatever the caseload.
    const [raws, traces] = throwOnPipelineError(
      await this.redis.pipeline().mget(wanted.map((w) => this.recordKey(w.id))).hmget(this.revokedKey(), ...wanted.map((w) => w.id)).exec(),
      'forPersons',
    ) as [(string | null)[], (string | null)[]];
    wanted.forEach((w, i) => {
      const raw = raws[i];
      if (raw === null || raw === undefined) return; // indexed but gone: nothing to honour
      const opened = this.open(w.id, raw);
      const record = opened && this.withTrace(opened, traces[i] ?? null);
      if (!record) return;
      // A genuine record filed under someone else's index (copied there) is not this person's consent.
      if (record.avs !== w.avs) {
        this.log(`consent ${w.id} is indexed under another person: not honoured`);
        return;
      }
      out.get(w.avs)!.push(record);
    });
    return out;
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}

  /** The record stored under `id` if its signature holds and it is the record of that id; else null (logged). */
  private open(id: string, raw: string): ConsentRecord | null {
    let signed: SignedConsent;
    try {
      signed = JSON.parse(raw) as SignedConsent;
    } catch {
      this.log(`consent ${id} is not valid JSON: not honoured`);
      return null;
    }
    let valid = false;
    try {
      valid =
        typeof signed === 'object' && signed !== null && typeof signed.signature === 'string' &&
        typeof signed.record === 'object' && signed.record !== null && this.signer.verify(signed);
    } catch {
      // A record missing fields the signature covers makes canonicalisation throw: tampered.
      valid = false;
    }
    if (!valid) {
      this.log(`consent ${id} fails its signature: not honoured`);
      return null;
    }
    // A genuine record copied under another id.
    if (signed.record.id !== id) {
      this.log(`consent ${id} holds the record of consent ${signed.record.id}: not honoured`);
      return null;
    }
    return signed.record;
  }

  /** The record and its revocation trace, in one round trip. */
  private async readWithTrace(id: string): Promise<[string | null, string | null]> {
    const [raw, trace] = throwOnPipelineError(await this.redis.pipeline().get(this.recordKey(id)).hget(this.revokedKey(), id).exec(), 'get') as [string | null, string | null];
    return [raw, trace];
  }

  /** Leaves the revocation's trace; a trace written already stays as it is (HSETNX). */
  private async writeTrace(revoked: ConsentRecord): Promise<void> {
    const trace = this.signer.signTrace({ id: revoked.id, avs: revoked.avs, revokedAt: revoked.revokedAt!, revokedBy: revoked.revokedBy! });
    await this.redis.hsetnx(this.revokedKey(), revoked.id, JSON.stringify(trace));
  }

  /**
   * The record as its revocation trace says it stands: revoked whatever the record says when a
   * trace exists; not honoured at all when the trace fails its signature (fail closed).
   */
  private withTrace(record: ConsentRecord, raw: string | null): ConsentRecord | null {
    if (raw === null) return record;
    let trace: RevocationTrace;
    try {
      trace = JSON.parse(raw) as RevocationTrace;
      if (typeof trace !== 'object' || trace === null || trace.id !== record.id || trace.avs !== record.avs || !this.signer.verifyTrace(trace)) throw new Error('invalid');
    } catch {
      this.log(`consent ${record.id} has a revocation trace that fails its signature: not honoured`);
      return null;
    }
    if (record.revokedAt !== null) return record;
    this.log(`consent ${record.id} reads as in force but was revoked at ${trace.revokedAt}: the revocation stands`);
    return { ...record, revokedAt: trace.revokedAt, revokedBy: trace.revokedBy };
  }

  private async compareAndSet(key: string, expected: string, value: string): Promise<boolean> {
    return Number(await evalScript(this.redis, COMPARE_AND_SET, [key], [expected, value])) === 1;
  }
}

/** The replies of a MULTI or pipeline, or the first error among them. */
function throwOnPipelineError(results: [Error | null, unknown][] | null, what: string): unknown[] {
  if (results === null) throw new Error(`${what}: the Redis transaction was aborted`);
  for (const [err] of results) if (err) throw err;
  return results.map(([, r]) => r);
}
