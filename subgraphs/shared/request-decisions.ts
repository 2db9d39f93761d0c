// The access decisions of one subgraph request, stage by stage:
//   1. collect  (ask-collector.ts)      what the request asks, one batch per turn
//   2. facts    (lib/access/person-facts.ts)  the consents and cases of the batch's persons, one read
//   3. decide   (lib/access/decide.ts)   pure: asks + facts + policy + requester + time → decisions
//   4. journal  (lib/audit/journal.ts)   every decision written before any is acted upon
// Then the outcomes are kept for the request, so each field reads its own. A store that cannot
// be read fails the decisions that needed it; a log that cannot be written fails them all.
import type { RequestFacts } from '../../lib/access/conditions/index.ts';
import { actionNeedsPersonFacts, decide, decideAction, factsNeeded, type ActionDecision } from '../../lib/access/decide.ts';
import type { Ask, Decision, Denied } from '../../lib/access/decision.ts';
import { explainActionDenial, explainDenial } from '../../lib/access/explain.ts';
import type { PersonFacts, PersonFactsReader } from '../../lib/access/person-facts.ts';
import type { Policy } from '../../lib/access/policy.ts';
import type { Requester } from '../../lib/access/requester.ts';
import type { Journal } from '../../lib/audit/journal.ts';
import type { Clock } from '../../lib/clock.ts';
import { errors } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import { decisionCountsOf } from '../../lib/observability/metrics.ts';
import { AskCollector, type FieldAsk, type Outcome } from './ask-collector.ts';

export interface DecisionDeps {
  policy: Policy;
  readFacts: PersonFactsReader;
  journal: Journal;
  clock: Clock;
}

/** What enforcement and the resolvers ask of a request's access decisions. */
export interface AccessDecisions {
  readonly requester: Requester;
  /** The purpose and case reference the request states. */
  readonly request: RequestFacts;
  /** The outcome for this person and category if decided (or failed) already: read synchronously. */
  known(avs: string, category: string): Outcome | undefined;
  /** Decides (with what is selected under the field, if it is released) and journals; rejects with the failure if no decision could be made. */
  ask(avs: string, category: string, under?: readonly string[]): Promise<Decision>;
  /** Of these categories, those released for this person, each decided first if need be. */
  released(avs: string, categories: readonly string[]): Promise<string[]>;
  /** A denial in words: why, and what would release the field. */
  explain(denied: Denied): string;
  /** Whether the requester may take an action (a field marked @permission) about this person; rejects if a store fails. */
  decideAction(action: string, avs: string | undefined): Promise<ActionDecision>;
  /** An action's denial in words. */
  explainAction(action: string, denied: Extract<ActionDecision, { allowed: false }>): string;
}

const NOTHING_UNDER: readonly string[] = [];

export class RequestDecisions implements AccessDecisions {
  private readonly collector = new AskCollector((asks) => this.decideBatch(asks));
  /** Per person, per category: what was decided, or why nothing could be. */
  private readonly outcomes = new Map<string, Map<string, Outcome>>();
  /** The facts read so far in this request, by person: read once per request. */
  private readonly facts = new Map<string, PersonFacts>();
  /** Per person, the store their facts could not be read from, and the error the decisions that need it fail with. */
  private readonly unreadable = new Map<string, { consents?: Error; cases?: Error }>();
  private readonly counts;

  constructor(
    private readonly deps: DecisionDeps,
    readonly requester: Requester,
    readonly request: RequestFacts,
    private readonly subgraph: string,
    private readonly requestId: string,
  ) {
    this.counts = decisionCountsOf(subgraph);
  }

  known(avs: string, category: string): Outcome | undefined {
    return this.outcomes.get(avs)?.get(category);
  }

  ask(avs: string, category: string, under: readonly string[] = NOTHING_UNDER): Promise<Decision> {
    const known = this.known(avs, category);
    if (known !== undefined) return known instanceof Error ? Promise.reject(known) : Promise.resolve(known);
    return this.collector.collect({ avs, category, under });
  }

  async released(avs: string, categories: readonly string[]): Promise<string[]> {
    const outcomes = await Promise.allSettled(categories.map((c) => this.ask(avs, c)));
    return categories.filter((_, i) => {
      const o = outcomes[i]!;
      return o.status === 'fulfilled' && o.value.allowed;
    });
  }

  explain(denied: Denied): string {
    return explainDenial(denied, this.deps.policy, this.requester, this.request);
  }

  async decideAction(action: string, avs: string | undefined): Promise<ActionDecision> {
    if (avs !== undefined && actionNeedsPersonFacts(this.deps.policy, action)) {
      await this.readFactsOf([avs]);
      const failed = this.unreadable.get(avs);
      if (failed) throw failed.cases ?? failed.consents;
    }
    return decideAction(action, avs, { ...this.context(this.deps.clock.now().toISOString()) });
  }

  explainAction(action: string, denied: Extract<ActionDecision, { allowed: false }>): string {
    return explainActionDenial(action, denied, this.deps.policy, this.requester, this.request);
  }

  private context(at: string) {
    return { policy: this.deps.policy, requester: this.requester, request: this.request, at, factsOf: (avs: string) => this.facts.get(avs) };
  }

  /** Stages 2–4 for one batch of asks; answers each ask, never rejects. */
  private async decideBatch(asks: readonly FieldAsk[]): Promise<Outcome[]> {
    const fresh = asks.filter((a) => this.known(a.avs, a.category) === undefined);
    await this.readFacts(fresh);
    const at = this.deps.clock.now().toISOString();

    // The fields asked, then what is selected under those released: one batch, one journal group.
    const asked = this.decideEach(fresh, at);
    const underAsks = this.askedUnder(fresh, asked);
    const outcomes = [...asked, ...this.decideEach(underAsks, at)];

    const decisions = outcomes.filter((o): o is Decision => !(o instanceof Error));
    const failure = await this.journal(decisions, at);
    if (!failure) this.counts.count(decisions);
    [...fresh, ...underAsks].forEach((ask, i) => this.keep(ask, failure ?? outcomes[i]!));
    return asks.map((a) => this.known(a.avs, a.category)!);
  }

  /** Decisions for these asks; those whose rule reads facts a store could not give fail with that store's error. */
  private decideEach(asks: readonly Ask[], at: string): Outcome[] {
    const failures = asks.map((a) => this.failureOf(a));
    const decisions = decide(asks.filter((_, i) => !failures[i]), this.context(at));
    let next = 0;
    return asks.map((_, i) => failures[i] ?? decisions[next++]!);
  }

  /** The error an ask fails with when a fact it needs could not be read; undefined when it can be decided. */
  private failureOf(ask: Ask): Error | undefined {
    const failed = this.unreadable.get(ask.avs);
    if (!failed) return undefined;
    const needs = factsNeeded(this.deps.policy, this.requester, ask.category);
    return (needs.consents ? failed.consents : undefined) ?? (needs.cases ? failed.cases : undefined);
  }

  /** What is selected under the fields released in this batch, not decided yet: decided in the same batch. */
  private askedUnder(asks: readonly FieldAsk[], outcomes: readonly Outcome[]): Ask[] {
    const seen = new Set(asks.map((a) => `${a.avs}\u0000${a.category}`));
    const under: Ask[] = [];
    asks.forEach((ask, i) => {
      const o = outcomes[i]!;
      if (o instanceof Error || !o.allowed) return;
      for (const category of ask.under) {
        const key = `${ask.avs}\u0000${category}`;
        if (seen.has(key) || this.known(ask.avs, category) !== undefined) continue;
        seen.add(key);
        under.push({ avs: ask.avs, category });
      }
    });
    return under;
  }

  private needsFacts(ask: Ask): boolean {
    const needs = factsNeeded(this.deps.policy, this.requester, ask.category);
    return needs.consents || needs.cases;
  }

  /**
   * Reads, in one call, the facts of the persons whose asks (or what may be decided under
   * them) need them and whose facts this request has not read yet.
   */
  private readFacts(asks: readonly FieldAsk[]): Promise<void> {
    const needing = asks.filter((a) => this.needsFacts(a) || a.under.some((category) => this.needsFacts({ avs: a.avs, category })));
    return this.readFactsOf(needing.map((a) => a.avs));
  }

  /** Reads the facts of these persons not read yet; a store that fails is noted per person, for the decisions that need it. */
  private async readFactsOf(persons: readonly string[]): Promise<void> {
    const missing = [...new Set(persons)].filter((avs) => !this.facts.has(avs));
    if (missing.length === 0) return;
    let read: Awaited<ReturnType<PersonFactsReader>>;
    try {
      read = await this.deps.readFacts(missing);
    } catch (e) {
      read = { facts: new Map(), unreadable: new Set(['consents', 'cases']), reason: (e as Error).message };
    }
    if (read.unreadable.size) log.error({ service: this.subgraph, stores: [...read.unreadable], reason: read.reason }, 'store unavailable');
    const failed = {
      ...(read.unreadable.has('consents') ? { consents: errors.consentStoreUnavailable() } : {}),
      ...(read.unreadable.has('cases') ? { cases: errors.caseRepertoryUnavailable() } : {}),
    };
    for (const avs of missing) {
      this.facts.set(avs, read.facts.get(avs) ?? { consents: [], cases: [] });
      if (read.unreadable.size) this.unreadable.set(avs, failed);
    }
  }

  /** Stage 4: the batch's decisions in the journal; the error every one of them fails with if it cannot be written. */
  private async journal(decisions: readonly Decision[], at: string): Promise<Error | undefined> {
    const { policy } = this.deps;
    const header = {
      at,
      requester: this.requester,
      purpose: this.request.purpose ?? null,
      caseReference: this.request.caseReference ?? null,
      subgraph: this.subgraph,
      requestId: this.requestId,
      policy: `${policy.name} ${policy.version}`,
    };
    try {
      await this.deps.journal.decisions(header, decisions);
      return undefined;
    } catch (e) {
      log.error({ service: this.subgraph, reason: (e as Error).message }, 'access log unavailable');
      return errors.auditUnavailable();
    }
  }

  private keep(ask: Ask, outcome: Outcome): void {
    let mine = this.outcomes.get(ask.avs);
    if (!mine) this.outcomes.set(ask.avs, (mine = new Map()));
    mine.set(ask.category, outcome);
  }
}
