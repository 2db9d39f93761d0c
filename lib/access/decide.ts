// The decision: for each ask (a person, a category), the rule of the active policy for this
// requester, and what it says given the request and the person's consents and cases. Pure: no
// I/O, no storage format; the caller reads the facts first and journals what comes out. The
// live subgraphs and the policy replay (with a past time) both decide here, and so do the
// actions a role may take (decideAction).
import { openCasesAt } from '../cases/store.ts';
import type { Ask, Decision, UnmetCondition } from './decision.ts';
import type { RequestFacts } from './conditions/index.ts';
import { consentInForce } from './consent-match.ts';
import type { PersonFacts } from './person-facts.ts';
import { conditionsReadFacts, readsCases, readsConsents, readsPersonFacts, type BoundCondition, type Policy } from './policy.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { Requester } from './requester.ts';

export interface DecisionContext {
  policy: Policy;
  requester: Requester;
  request: RequestFacts;
  /** When the decisions are made (ISO timestamp): a consent must be valid on that day. */
  at: string;
  /** The facts of a person, read beforehand for every ask whose rule reads them (see factsNeeded). */
  factsOf(avs: string): PersonFacts | undefined;
}

const NO_FACTS: PersonFacts = { consents: [], cases: [] };

export function decide(asks: readonly Ask[], ctx: DecisionContext): Decision[] {
  const rules = ctx.policy.releasesOf(ctx.requester.institution, ctx.requester.role);
  const actingFor = ctx.policy.actsFor(ctx.requester.institution, ctx.requester.role);
  const day = ctx.at.slice(0, 10);

  return asks.map((ask): Decision => {
    const { avs, category } = ask;
    const release = rules.get(category);
    if (!release) return { avs, category, allowed: false, reason: 'NO_RULE' };
    const { rule } = release;
    const facts = factsFor(ask.avs, readsPersonFacts(release), ask.category, ctx);
    const underCase = caseOf(facts, actingFor, ctx.request);
    switch (release.kind) {
      case 'never':
        return withCase({ avs, category, rule, allowed: false, reason: 'NEVER' }, underCase);
      case 'legalBasis': {
        const unmet = firstUnmet(release.basis.conditions, ask.avs, facts, ctx);
        if (unmet) return withCase({ avs, category, rule, allowed: false, reason: unmet.reason, legalBasis: release.basis.citation, condition: unmet.condition }, underCase);
        return withCase({ avs, category, rule, allowed: true, legalBasis: release.basis.citation }, underCase);
      }
      case 'consent': {
        const unmet = firstUnmet(release.conditions, ask.avs, facts, ctx);
        if (unmet) return withCase({ avs, category, rule, allowed: false, reason: unmet.reason, condition: unmet.condition }, underCase);
        const consent = consentInForce(facts.consents, actingFor, category, ctx.request.purpose, day);
        if (!consent) return withCase({ avs, category, rule, allowed: false, reason: 'NO_CONSENT' }, underCase);
        return withCase({ avs, category, rule, allowed: true, consentId: consent.id }, underCase);
      }
    }
  });
}

/** The decision, with the case it was made under if any. (Literals, not spreads: V8 copies a spread object several times slower, per ask.) */
function withCase<D extends Decision>(decision: D, caseReference: string | undefined): D {
  if (caseReference !== undefined) decision.caseReference = caseReference;
  return decision;
}

/** What an action decides: allowed, or denied with its reason (NO_RULE: the role is not permitted). */
export type ActionDecision =
  | { allowed: true; caseReference?: string }
  | { allowed: false; reason: 'NO_RULE' | 'CONDITION_UNMET' | 'NO_OPEN_CASE'; condition?: UnmetCondition };

/** Whether the requester may take an action (a field marked @permission) about this person. */
export function decideAction(action: string, avs: string | undefined, ctx: DecisionContext): ActionDecision {
  const declared = ctx.policy.actions.get(action);
  if (!declared || !ctx.policy.permits(ctx.requester.role, action) || !ctx.policy.roleExistsAt(ctx.requester.institution, ctx.requester.role)) {
    return { allowed: false, reason: 'NO_RULE' };
  }
  if (declared.conditions.length === 0) return { allowed: true };
  // Conditions about a person need the person: an action that names none cannot meet them.
  if (avs === undefined) throw new Error(`the action ${action} has conditions but names no person`);
  const facts = factsFor(avs, conditionsReadFacts(declared.conditions), action, ctx);
  const unmet = firstUnmet(declared.conditions, avs, facts, ctx);
  if (unmet) return { allowed: false, reason: unmet.reason, condition: unmet.condition };
  const caseReference = caseOf(facts, ctx.policy.actsFor(ctx.requester.institution, ctx.requester.role), ctx.request);
  return caseReference === undefined ? { allowed: true } : { allowed: true, caseReference };
}

/** Which of the person's facts deciding this category for this requester reads. */
export function factsNeeded(policy: Policy, requester: Requester, category: string): { consents: boolean; cases: boolean } {
  const release = policy.releasesOf(requester.institution, requester.role).get(category);
  return { consents: readsConsents(release), cases: readsCases(release) };
}

/** Whether deciding this action reads the person's facts. */
export const actionNeedsPersonFacts = (policy: Policy, action: string): boolean => conditionsReadFacts(policy.actions.get(action)?.conditions ?? []);

function factsFor(avs: string, reads: boolean, what: string, ctx: DecisionContext): PersonFacts {
  if (!reads) return NO_FACTS;
  const facts = ctx.factsOf(avs);
  // The caller reads them first; deciding without them would deny what a consent or a case releases.
  if (!facts) throw new Error(`the facts of a person were not read before deciding ${what}`);
  return facts;
}

/**
 * The case a decision is made under, journaled with it, where the request names none (a
 * caseload): the person's open case at the institution the requester acts for.
 */
function caseOf(facts: PersonFacts, actingFor: Institution, request: RequestFacts): string | undefined {
  if (request.caseReference !== undefined || facts.cases.length === 0) return undefined;
  return openCasesAt(facts.cases, actingFor)[0]?.caseReference;
}

function firstUnmet(conditions: readonly BoundCondition[], avs: string, facts: PersonFacts, ctx: DecisionContext): { reason: BoundCondition['reason']; condition: UnmetCondition } | undefined {
  const institution = ctx.policy.actsFor(ctx.requester.institution, ctx.requester.role);
  for (const condition of conditions) {
    const unmet = condition.check({ request: ctx.request, requester: ctx.requester, institution, avs, facts });
    if (unmet) return { reason: condition.reason, condition: { type: condition.type, demands: condition.description, unmet } };
  }
  return undefined;
}
