// The access decisions of one subgraph request. One decision per person × category, made
// once and remembered; consents read in one batch for all persons of the request; every
// decision journaled before it is acted upon. If the log or the consent store fails, the
// decision fails, and so does every field that depends on it: fail closed.
import DataLoader from 'dataloader';
import { decide, needsConsents, type Decision } from '../../lib/access/decide.ts';
import type { RequestFacts } from '../../lib/access/conditions/index.ts';
import type { Policy } from '../../lib/access/policy.ts';
import type { Requester } from '../../lib/access/requester.ts';
import type { AuditBatcher } from '../../lib/audit/batcher.ts';
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
  private readonly settled = new Map<string, Decision>();
  private readonly pending = new Map<string, Promise<Decision>>();
  private readonly consentsOf: DataLoader<string, ConsentRecord[]>;
  private readonly today: string;

  constructor(
    private readonly deps: AccessDeps,
    readonly requester: Requester,
    readonly facts: RequestFacts,
    private readonly subgraph: string,
    private readonly requestId: string,
  ) {
    this.today = isoDate(deps.clock.now());
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
  }

  /** The decision already made for this person and category in this request, if any. */
  settledDecision(avs: string, category: string): Decision | undefined {
    return this.settled.get(`${avs}|${category}`);
  }

  decide(avs: string, category: string): Promise<Decision> {
    const key = `${avs}|${category}`;
    const settled = this.settled.get(key);
    if (settled) return Promise.resolve(settled);
    // A failed decision stays pending (rejected): every field that depends on it fails alike.
    let p = this.pending.get(key);
    if (!p) {
      p = this.decideAndJournal(avs, category).then((d) => {
        this.settled.set(key, d);
        this.pending.delete(key); // settled decisions are read from `settled`, synchronously
        return d;
      });
      this.pending.set(key, p);
    }
    return p;
  }

  private async decideAndJournal(avs: string, category: string): Promise<Decision> {
    const { policy, clock } = this.deps;
    const consents = needsConsents(policy, this.requester, category) ? await this.consentsOf.load(avs) : [];
    const decision = decide(policy, this.requester, this.facts, avs, category, consents, this.today);
    try {
      await this.deps.audit.append({
        at: clock.now().toISOString(),
        institution: this.requester.institution,
        role: this.requester.role,
        subject: this.requester.subject,
        avs,
        category,
        decision: decision.allowed ? 'ALLOWED' : 'DENIED',
        legalBasis: decision.allowed ? (decision.legalBasis ?? null) : null,
        consentId: decision.allowed ? (decision.consentId ?? null) : null,
        purpose: this.facts.purpose ?? null,
        caseReference: this.facts.caseReference ?? null,
        subgraph: this.subgraph,
        requestId: this.requestId,
      });
    } catch (e) {
      log.error({ service: this.subgraph, reason: (e as Error).message }, 'access log unavailable');
      throw errors.auditUnavailable();
    }
    decisionsTotal.inc({ subgraph: this.subgraph, category, decision: decision.allowed ? 'ALLOWED' : 'DENIED' });
    return decision;
  }
}

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
