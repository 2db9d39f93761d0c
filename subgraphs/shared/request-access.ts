// The access decisions of one subgraph request. One decision per person × category, made
// once and remembered; consents read in one batch for all persons of the request; every
// decision journaled before it is acted upon. If the log or the consent store fails, the
// decision fails, and so does every field that depends on it: fail closed.
import DataLoader from 'dataloader';
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

export class RequestAccess implements AccessDecisions {
  /** Decisions made, by person then category: what enforcement reads synchronously. */
  private readonly settled = new Map<string, Map<string, Decision>>();
  /** Decisions asked for in the same turn are made and journaled together: one consent read, one append. */
  private readonly decisions: DataLoader<string, Decision>;
  private readonly consentsOf: DataLoader<string, ConsentRecord[]>;
  private readonly decider: Decider;

  constructor(
    private readonly deps: AccessDeps,
    readonly requester: Requester,
    readonly facts: RequestFacts,
    private readonly subgraph: string,
    private readonly requestId: string,
  ) {
    this.decider = new Decider(deps.policy, requester, facts, isoDate(deps.clock.now()));
    this.consentsOf = new DataLoader(async (avs) => {
      let found: Map<string, ConsentRecord[]>;
      try {
        found = await deps.consents.forPersons(avs);
      } catch (e) {
        log.error({ service: subgraph, reason: (e as Error).message }, 'consent store unavailable');
        throw errors.consentStoreUnavailable();
      }
      return avs.map((a) => found.get(a) ?? []);
    });
    // A failed decision stays failed (the loader keeps the rejection): every field that
    // depends on it fails alike. Settled ones leave the loader (see decideAndJournal).
    this.decisions = new DataLoader((keys) => this.decideAndJournal(keys), { maxBatchSize: 20_000 });
  }

  /** The decision already made for this person and category in this request, if any. */
  settledDecision(avs: string, category: string): Decision | undefined {
    return this.settled.get(avs)?.get(category);
  }

  decide(avs: string, category: string): Promise<Decision> {
    const settled = this.settled.get(avs)?.get(category);
    return settled ? Promise.resolve(settled) : this.decisions.load(`${avs}${KEY_SEPARATOR}${category}`);
  }

  /**
   * Decides a batch: the consents of the persons whose categories need one, read in one call;
   * then every decision, journaled in one append (one group of entries) before any is
   * released. A consent store that cannot be read fails the decisions that needed it; a log
   * that cannot be written fails all.
   */
  private async decideAndJournal(keys: readonly string[]): Promise<(Decision | Error)[]> {
    const asked = keys.map((k) => {
      const at = k.indexOf(KEY_SEPARATOR);
      return { avs: k.slice(0, at), category: k.slice(at + 1) };
    });
    const needing = [...new Set(asked.filter((a) => this.decider.needsConsents(a.category)).map((a) => a.avs))];
    const consents = new Map<string, ConsentRecord[] | Error>();
    if (needing.length > 0) {
      const read = await Promise.allSettled(needing.map((avs) => this.consentsOf.load(avs)));
      read.forEach((r, i) => consents.set(needing[i]!, r.status === 'fulfilled' ? r.value : (r.reason as Error)));
    }

    const results: (Decision | Error)[] = [];
    const rows: EntryRow[] = [];
    for (const { avs, category } of asked) {
      const theirs = this.decider.needsConsents(category) ? consents.get(avs)! : NO_CONSENTS;
      if (theirs instanceof Error) {
        results.push(theirs);
        continue;
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
      if (!mine) this.settled.set(avs, (mine = new Map()));
      mine.set(category, d);
      // Read from `settled` from now on: the loader's copy would only keep the request's
      // promises alive for as long as the request's decisions are kept (RequestAccessCache).
      this.decisions.clear(keys[i]!);
      const label = `${category}${KEY_SEPARATOR}${d.allowed ? 'ALLOWED' : 'DENIED'}`;
      counted.set(label, (counted.get(label) ?? 0) + 1);
    });
    for (const [label, n] of counted) {
      const [category, decision] = label.split(KEY_SEPARATOR) as [string, string];
      decisionsTotal.inc({ subgraph: this.subgraph, category, decision }, n);
    }
    return results;
  }
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
