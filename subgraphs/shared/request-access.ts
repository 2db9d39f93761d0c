// The access decisions of one subgraph request. One decision per person × category, made
// once and remembered; consents read in one batch for all persons of the request; every
// decision journaled before it is acted upon. If the log or the consent store fails, the
// decision fails, and so does every field that depends on it: fail closed.
import { Decider, type Decision } from '../../lib/access/decide.ts';
import type { RequestFacts } from '../../lib/access/conditions/index.ts';
import type { Policy } from '../../lib/access/policy.ts';
import type { Requester } from '../../lib/access/requester.ts';
import type { AuditBatcher } from '../../lib/audit/batcher.ts';
import type { EntryGroup, EntryRow } from '../../lib/audit/chain.ts';
import { isoDate, type Clock } from '../../lib/clock.ts';
import type { ConsentRecord, ConsentStore } from '../../lib/consents/store.ts';
import { errors } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import { decisionsTotal } from '../../lib/observability/metrics.ts';

export interface AccessDeps {
  policy: Policy;
  consents: ConsentStore;
  audit: AuditBatcher;
  clock: Clock;
}

/** What enforcement asks of a request's access decisions. */
export interface AccessDecisions {
  readonly requester: Requester;
  settledDecision(avs: string, category: string): Decision | undefined;
  decide(avs: string, category: string): Promise<Decision>;
}

/**
 * Releases everything, decides and journals nothing. Only for the benchmark's baseline (the
 * same stack without the policy's cost): reachable from the composition root's options,
 * never from configuration.
 */
export class UnenforcedAccess implements AccessDecisions {
  private static readonly RELEASED: Decision = { allowed: true, legalBasis: 'enforcement off (benchmark baseline)' };
  constructor(readonly requester: Requester) {}
  settledDecision(): Decision {
    return UnenforcedAccess.RELEASED;
  }
  async decide(): Promise<Decision> {
    return UnenforcedAccess.RELEASED;
  }
}

interface Asked {
  avs: string;
  category: string;
}

export class RequestAccess implements AccessDecisions {
  /** Decisions made, by person then category slot: what enforcement reads synchronously. */
  private readonly settled = new Map<string, (Decision | undefined)[]>();
  /** Decisions being made, and decisions that failed (a failure stays: every field that depends on it fails alike). */
  private readonly unsettled = new Map<string, Promise<Decision>>();
  /** The decisions asked for in this turn: made and journaled together, one consent read, one append. */
  private gathering: { asked: Asked[]; results: Promise<(Decision | Error)[]> } | undefined;
  /** The consents read so far in this request, by person. */
  private readonly consents = new Map<string, readonly ConsentRecord[]>();
  private readonly decider: Decider;

  constructor(
    private readonly deps: AccessDeps,
    readonly requester: Requester,
    readonly facts: RequestFacts,
    private readonly subgraph: string,
    private readonly requestId: string,
  ) {
    this.decider = new Decider(deps.policy, requester, facts, isoDate(deps.clock.now()));
  }

  /** The decision already made for this person and category in this request, if any. */
  settledDecision(avs: string, category: string): Decision | undefined {
    return this.settled.get(avs)?.[slotOf(category)];
  }

  decide(avs: string, category: string): Promise<Decision> {
    const settled = this.settled.get(avs)?.[slotOf(category)];
    if (settled) return Promise.resolve(settled);
    const key = `${avs}${KEY_SEPARATOR}${category}`;
    let decision = this.unsettled.get(key);
    if (!decision) {
      const batch = this.gathering ?? this.gather();
      const index = batch.asked.push({ avs, category }) - 1;
      decision = batch.results.then((results) => {
        const d = results[index]!;
        if (d instanceof Error) throw d;
        return d;
      });
      this.unsettled.set(key, decision);
    }
    return decision;
  }

  /**
   * Opens the batch of this turn. It is decided once every resolver that runs now, and every
   * promise reaction queued now, had its say (the same moment DataLoader dispatches), so the
   * file fields of a whole caseload go in one batch. Kept by hand rather than with DataLoader:
   * a request's decisions are kept for a while (RequestAccessCache), its promises need not be.
   */
  private gather(): { asked: Asked[]; results: Promise<(Decision | Error)[]> } {
    const asked: Asked[] = [];
    const results = new Promise<(Decision | Error)[]>((resolve) => {
      void Promise.resolve().then(() =>
        process.nextTick(() => {
          this.gathering = undefined;
          resolve(this.decideAndJournal(asked));
        }),
      );
    });
    this.gathering = { asked, results };
    return this.gathering;
  }

  /**
   * Decides a batch: the consents of the persons whose categories need one, read in one call;
   * then every decision, journaled in one append (one group of entries) before any is
   * released. A consent store that cannot be read fails the decisions that needed it; a log
   * that cannot be written fails all. Never rejects: each decision is a Decision or an Error.
   */
  private async decideAndJournal(asked: readonly Asked[]): Promise<(Decision | Error)[]> {
    const consentsUnavailable = await this.readConsents(asked);
    const results: (Decision | Error)[] = [];
    const rows: EntryRow[] = [];
    for (const { avs, category } of asked) {
      let theirs: readonly ConsentRecord[] = NO_CONSENTS;
      if (this.decider.needsConsents(category)) {
        const read = this.consents.get(avs);
        if (!read) {
          results.push(consentsUnavailable ?? errors.consentStoreUnavailable());
          continue;
        }
        theirs = read;
      }
      const d = this.decider.decide(avs, category, theirs);
      results.push(d);
      rows.push(d.allowed ? [avs, category, 'ALLOWED', d.legalBasis ?? null, d.consentId ?? null] : [avs, category, 'DENIED', null, null]);
    }

    const { institution, role, subject } = this.requester;
    const group: EntryGroup = [
      this.deps.clock.now().toISOString(),
      institution,
      role,
      subject,
      this.facts.purpose ?? null,
      this.facts.caseReference ?? null,
      this.subgraph,
      this.requestId,
      rows,
    ];
    try {
      if (rows.length > 0) await this.deps.audit.append([group]);
    } catch (e) {
      log.error({ service: this.subgraph, reason: (e as Error).message }, 'access log unavailable');
      const unavailable = errors.auditUnavailable();
      return results.map(() => unavailable);
    }
    const counted = new Map<string, number>();
    results.forEach((d, i) => {
      if (d instanceof Error) return;
      const { avs, category } = asked[i]!;
      let mine = this.settled.get(avs);
      if (!mine) this.settled.set(avs, (mine = []));
      mine[slotOf(category)] = d;
      this.unsettled.delete(`${avs}${KEY_SEPARATOR}${category}`);
      const label = `${category}${KEY_SEPARATOR}${d.allowed ? 'ALLOWED' : 'DENIED'}`;
      counted.set(label, (counted.get(label) ?? 0) + 1);
    });
    for (const [label, n] of counted) {
      const [category, decision] = label.split(KEY_SEPARATOR) as [string, string];
      decisionsTotal.inc({ subgraph: this.subgraph, category, decision }, n);
    }
    return results;
  }

  /** Reads, in one call, the consents this batch needs and this request has not read yet; the error if the store failed. */
  private async readConsents(asked: readonly Asked[]): Promise<Error | undefined> {
    const missing = new Set<string>();
    for (const { avs, category } of asked) if (!this.consents.has(avs) && this.decider.needsConsents(category)) missing.add(avs);
    if (missing.size === 0) return undefined;
    try {
      const found = await this.deps.consents.forPersons([...missing]);
      for (const avs of missing) this.consents.set(avs, found.get(avs) ?? NO_CONSENTS);
      return undefined;
    } catch (e) {
      log.error({ service: this.subgraph, reason: (e as Error).message }, 'consent store unavailable');
      return errors.consentStoreUnavailable();
    }
  }
}

/**
 * A small number per category id: a person's decisions in a request are an array indexed by
 * it, not a Map each (a request's decisions are kept for a while, see RequestAccessCache).
 * Bounded by the categories the schema declares.
 */
const slots = new Map<string, number>();
function slotOf(category: string): number {
  let slot = slots.get(category);
  if (slot === undefined) slots.set(category, (slot = slots.size));
  return slot;
}

/** Neither an AVS number nor a category id contains it. */
const KEY_SEPARATOR = '|';
const NO_CONSENTS: readonly ConsentRecord[] = Object.freeze([]);

/**
 * The gateway may call a subgraph several times for one request (aliases, nested entities).
 * Decisions belong to the gateway request, so each subgraph keeps a request's RequestAccess
 * for a short while under the gateway's request id (signed into the credential, minted by
 * the gateway, never taken from the client). Bounded in time and size.
 */
export class RequestAccessCache {
  private readonly entries = new Map<string, { access: RequestAccess; fingerprint: string; expires: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(requestId: string, fingerprint: string, create: () => RequestAccess): RequestAccess {
    const now = Date.now();
    const hit = this.entries.get(requestId);
    if (hit && hit.expires > now && hit.fingerprint === fingerprint) return hit.access;
    if (this.entries.size >= this.maxEntries) this.evict(now);
    const access = create();
    this.entries.set(requestId, { access, fingerprint, expires: now + this.ttlMs });
    return access;
  }

  private evict(now: number): void {
    for (const [id, e] of this.entries) if (e.expires <= now) this.entries.delete(id);
    // Still full: drop the oldest (Map keeps insertion order).
    for (const id of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}
