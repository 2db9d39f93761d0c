// The case repertory in Redis, shared by every instance, so a closed case releases nothing
// from the next request on, everywhere. Each person's cases are one signed document: whoever
// can write to Redis but does not hold the store's signing key cannot give a requester a case
// (a document that fails its signature counts as no case at all).
//
// Layout:
//   <prefix>cases:avs:<avs>                  JSON { cases: [...], signature }
//   <prefix>cases:open:<institution>:<ref>   the AVS number the reference is open for
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { evalScript, luaScript } from '../redis/connection.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { HmacSigner } from '../signing.ts';
import { log } from '../log.ts';
import { CaseConflict, NO_SEED, StoredCase, type CaseRecord, type CaseRepertory, type CaseSeed } from './store.ts';

// KEYS[1] the reference's open key, KEYS[2] the person's document.
// ARGV[1] the AVS number, ARGV[2] the document read (or '' when absent), ARGV[3] the new document,
// ARGV[4] 'open' | 'close'.
// Replies 1 written | 0 the reference is open for another person | 2 already open for this one |
// 3 the document changed since it was read (read again).
const WRITE_CASES = luaScript(`
local holder = redis.call('GET', KEYS[1])
if ARGV[4] == 'open' then
  if holder and holder ~= ARGV[1] then return 0 end
  if holder == ARGV[1] then return 2 end
end
local current = redis.call('GET', KEYS[2]) or ''
if current ~= ARGV[2] then return 3 end
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[4] == 'open' then redis.call('SET', KEYS[1], ARGV[1])
elseif holder == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

const WRITE_ATTEMPTS = 5;

const Document = z.strictObject({ cases: z.array(StoredCase), signature: z.string() });

const canonical = (avs: string, cases: readonly CaseRecord[]) =>
  JSON.stringify([avs, cases.map((c) => [c.avs, c.institution, c.caseReference, c.openedOn, c.closedOn])]);

export class RedisCaseRepertory implements CaseRepertory {
  private readonly prefix: string;
  private readonly seed: CaseSeed;

  constructor(
    private readonly redis: Redis,
    private readonly signer: HmacSigner,
    opts: { prefix?: string; seed?: CaseSeed } = {},
  ) {
    this.prefix = opts.prefix ?? 'ciigraph:';
    this.seed = opts.seed ?? NO_SEED;
  }

  private personKey = (avs: string) => `${this.prefix}cases:avs:${avs}`;
  private openKey = (institution: Institution, ref: string) => `${this.prefix}cases:open:${institution}:${ref}`;

  async openCase(c: { avs: string; institution: Institution; caseReference: string; on: string }): Promise<{ record: CaseRecord; changed: boolean }> {
    const holder = await this.holderOf(c.institution, c.caseReference);
    if (holder !== undefined && holder !== c.avs) throw new CaseConflict(`The case reference "${c.caseReference}" is open at ${c.institution} for another person.`);
    const record: CaseRecord = { avs: c.avs, institution: c.institution, caseReference: c.caseReference, openedOn: c.on, closedOn: null };
    return this.change(c.avs, c.institution, c.caseReference, 'open', (cases) => {
      const open = cases.find((r) => r.institution === c.institution && r.caseReference === c.caseReference && r.closedOn === null);
      return open ? { cases, record: open, changed: false } : { cases: [...cases, record], record, changed: true };
    });
  }

  async closeCase(c: { avs: string; institution: Institution; caseReference: string; on: string }): Promise<CaseRecord> {
    const { record } = await this.change(c.avs, c.institution, c.caseReference, 'close', (cases) => {
      const i = cases.findIndex((r) => r.institution === c.institution && r.caseReference === c.caseReference && r.closedOn === null);
      if (i < 0) throw new CaseConflict(`No case "${c.caseReference}" is open at ${c.institution} for this person.`);
      const closed = { ...cases[i]!, closedOn: c.on };
      return { cases: cases.map((r, k) => (k === i ? closed : r)), record: closed, changed: true };
    });
    return record;
  }

  async forPersons(avs: readonly string[]): Promise<Map<string, CaseRecord[]>> {
    const persons = [...new Set(avs)];
    if (persons.length === 0) return new Map();
    const raws = await this.redis.mget(persons.map(this.personKey));
    return new Map(persons.map((a, i) => [a, this.read(a, raws[i] ?? null)]));
  }

  async holderOf(institution: Institution, caseReference: string): Promise<string | undefined> {
    const written = await this.redis.get(this.openKey(institution, caseReference));
    if (written !== null) return written;
    const seeded = this.seed.holderOf(institution, caseReference);
    if (seeded === undefined) return undefined;
    const cases = (await this.forPersons([seeded])).get(seeded)!;
    return cases.some((r) => r.institution === institution && r.caseReference === caseReference && r.closedOn === null) ? seeded : undefined;
  }

  async persons(): Promise<string[]> {
    const found = new Set(this.seed.persons?.() ?? []);
    const prefix = this.personKey('');
    let cursor = '0';
    // SCAN, not KEYS: a large repertory is walked in steps without blocking Redis.
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      for (const k of keys) found.add(k.slice(prefix.length));
      cursor = next;
    } while (cursor !== '0');
    return [...found];
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}

  /** Reads the person's document, applies `edit` and writes it back unless it changed meanwhile. */
  private async change<T extends { cases: CaseRecord[]; record: CaseRecord; changed: boolean }>(
    avs: string,
    institution: Institution,
    ref: string,
    what: 'open' | 'close',
    edit: (cases: CaseRecord[]) => T,
  ): Promise<T> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const raw = await this.redis.get(this.personKey(avs));
      const result = edit(this.read(avs, raw));
      if (!result.changed) return result;
      const doc = JSON.stringify({ cases: result.cases, signature: this.signer.signature(canonical(avs, result.cases)) });
      const reply = Number(await evalScript(this.redis, WRITE_CASES, [this.openKey(institution, ref), this.personKey(avs)], [avs, raw ?? '', doc, what]));
      if (reply === 1) return result;
      if (reply === 0) throw new CaseConflict(`The case reference "${ref}" is open at ${institution} for another person.`);
      if (reply === 2) return { ...result, changed: false };
    }
    throw new Error(`the cases of a person kept changing while being written; gave up after ${WRITE_ATTEMPTS} attempts`);
  }

  /** A person's cases: their signed document, the seed when they have none, no case when it fails its signature. */
  private read(avs: string, raw: string | null): CaseRecord[] {
    if (raw === null) return this.seed.casesOf(avs);
    let doc: z.infer<typeof Document>;
    try {
      doc = Document.parse(JSON.parse(raw));
    } catch {
      log.error({ store: 'cases' }, 'a person\'s cases are not a readable document: not honoured');
      return [];
    }
    if (!this.signer.holds(canonical(avs, doc.cases), doc.signature) || doc.cases.some((c) => c.avs !== avs)) {
      log.error({ store: 'cases' }, 'a person\'s cases fail their signature: not honoured');
      return [];
    }
    return doc.cases;
  }
}
