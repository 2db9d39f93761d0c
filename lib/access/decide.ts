// The decision: for each ask (a person, a category), the rule of the active policy for this
// requester, and what it says given the request and the person's consents. Pure: no I/O, no
// storage format; the caller reads the facts first and journals what comes out. The live
// subgraphs and the policy replay (with a past time) both decide here.
import type { Ask, Decision, UnmetCondition } from './decision.ts';
import type { RequestFacts } from './conditions/index.ts';
import { consentInForce } from './consent-match.ts';
import type { PersonFacts } from './person-facts.ts';
import { readsPersonFacts, type LegalBasis, type Policy, type Release } from './policy.ts';
import type { Requester } from './requester.ts';

export interface DecisionContext {
  policy: Policy;
  requester: Requester;
  request: RequestFacts;
  /** When the decisions are made (ISO timestamp): a consent must be valid on that day. */
  at: string;
  /** The facts of a person, read beforehand for every ask whose rule reads them (see needsPersonFacts). */
  factsOf(avs: string): PersonFacts | undefined;
}

const NO_FACTS: PersonFacts = { consents: [] };

export function decide(asks: readonly Ask[], ctx: DecisionContext): Decision[] {
  const rules = ctx.policy.releasesOf(ctx.requester.institution, ctx.requester.role);
  const recipient = ctx.policy.consentRecipientOf(ctx.requester.institution, ctx.requester.role);
  const day = ctx.at.slice(0, 10);

  return asks.map((ask): Decision => {
    const { avs, category } = ask;
    const release = rules.get(category);
    if (!release) return { avs, category, allowed: false, reason: 'NO_RULE' };
    const { rule } = release;
    const facts = factsFor(ask, release, ctx);
    switch (release.kind) {
      case 'never':
        return { avs, category, rule, allowed: false, reason: 'NEVER' };
      case 'legalBasis': {
        const unmet = firstUnmet(release.basis, ask, facts, ctx);
        if (unmet) return { avs, category, rule, allowed: false, reason: 'CONDITION_UNMET', legalBasis: release.basis.citation, condition: unmet };
        return { avs, category, rule, allowed: true, legalBasis: release.basis.citation };
      }
      case 'consent': {
        const consent = consentInForce(facts.consents, recipient, category, ctx.request.purpose, day);
        if (!consent) return { avs, category, rule, allowed: false, reason: 'NO_CONSENT' };
        return { avs, category, rule, allowed: true, consentId: consent.id };
      }
    }
  });
}

/** Whether deciding this category for this requester reads the person's facts (consents). */
export function needsPersonFacts(policy: Policy, requester: Requester, category: string): boolean {
  return readsPersonFacts(policy.releasesOf(requester.institution, requester.role).get(category));
}

function factsFor(ask: Ask, release: Release, ctx: DecisionContext): PersonFacts {
  if (!readsPersonFacts(release)) return NO_FACTS;
  const facts = ctx.factsOf(ask.avs);
  // The caller reads them first; deciding without them would deny what a consent releases.
  if (!facts) throw new Error(`the facts of a person were not read before deciding ${ask.category}`);
  return facts;
}

function firstUnmet(basis: LegalBasis, ask: Ask, facts: PersonFacts, ctx: DecisionContext): UnmetCondition | undefined {
  for (const condition of basis.conditions) {
    const unmet = condition.check({ request: ctx.request, requester: ctx.requester, avs: ask.avs, facts });
    if (unmet) return { type: condition.type, demands: condition.description, unmet };
  }
  return undefined;
}
