// The decision for one requester, one person and one category: allowed under a legal basis
// (its conditions met) or a consent in force, or denied. Pure: the caller brings the consents.
import type { ConsentRecord } from '../consents/store.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { ConditionInput, RequestFacts } from './conditions/index.ts';
import { releasingConsent } from './consent-match.ts';
import type { LegalBasis, Policy, Release } from './policy.ts';
import type { Requester } from './requester.ts';

export type Decision =
  | { allowed: true; legalBasis: string; consentId?: undefined }
  | { allowed: true; consentId: string; legalBasis?: undefined }
  | { allowed: false; reason: string };

const NO_RULE: Decision = Object.freeze({ allowed: false, reason: 'no rule' });
const NEVER: Decision = Object.freeze({ allowed: false, reason: 'never' });
const NO_CONSENT: Decision = Object.freeze({ allowed: false, reason: 'no consent in force' });

/**
 * Whether a rule decides the same for every person of a request: it reads neither the
 * person's consents nor the person (no rule, never, a legal basis whose conditions read only
 * the request). A caseload's column of such a category is decided once.
 */
export const decidesAlike = (release: Release | undefined): boolean =>
  release === undefined || release.kind === 'never' || (release.kind === 'legalBasis' && !release.basis.readsPerson);

/**
 * The decisions of one request: one requester, one set of request facts, one day. What does
 * not depend on the person (the rule per category, whom a consent must name) is looked up
 * once, so a caseload's thousands of decisions cost little each.
 */
export class Decider {
  private readonly releases: ReadonlyMap<string, Release>;
  private readonly recipient: Institution;
  /** Decisions allowed by a legal basis are shared, one per basis: a caseload keeps thousands. */
  private readonly allowedBy = new Map<string, Decision>();
  /** Per category, the decision of a legal basis whose conditions do not read the person: the same for a whole caseload. */
  private readonly shared = new Map<string, Decision>();

  constructor(
    policy: Policy,
    private readonly requester: Requester,
    private readonly facts: RequestFacts,
    private readonly today: string,
  ) {
    this.recipient = policy.consentRecipientOf(requester.institution, requester.role);
    this.releases = policy.releasesOf(requester.institution, requester.role);
  }

  /** The rule that applies to this requester for a category; undefined: no rule, so no data. */
  releaseOf(category: string): Release | undefined {
    return this.releases.get(category);
  }

  decide(avs: string, category: string, consents: readonly ConsentRecord[]): Decision {
    return this.decideUnder(this.releaseOf(category), avs, category, consents);
  }

  /** The same, with the category's rule (releaseOf) looked up by the caller, once per request and category. */
  decideUnder(release: Release | undefined, avs: string, category: string, consents: readonly ConsentRecord[]): Decision {
    if (!release) return NO_RULE;
    switch (release.kind) {
      case 'never':
        return NEVER;
      case 'legalBasis': {
        if (release.basis.readsPerson) return this.underBasis(release.basis, avs);
        let shared = this.shared.get(category);
        if (!shared) this.shared.set(category, (shared = this.underBasis(release.basis, avs)));
        return shared;
      }
      case 'consent': {
        const consent = releasingConsent(consents, this.recipient, category, this.facts.purpose, this.today);
        return consent ? { allowed: true, consentId: consent.id } : NO_CONSENT;
      }
    }
  }

  /** Allowed under this legal basis if every condition is met for this person; otherwise the first unmet. */
  private underBasis(basis: LegalBasis, avs: string): Decision {
    const input: ConditionInput = {
      purpose: this.facts.purpose,
      caseReference: this.facts.caseReference,
      requesterSubject: this.requester.subject,
      avs,
    };
    for (const condition of basis.conditions) {
      const unmet = condition.check(input);
      if (unmet) return { allowed: false, reason: `${basis.citation}: ${unmet}` };
    }
    let allowed = this.allowedBy.get(basis.citation);
    if (!allowed) this.allowedBy.set(basis.citation, (allowed = Object.freeze({ allowed: true, legalBasis: basis.citation })));
    return allowed;
  }
}

/** One decision on its own (the DPO's reading of the access log, the policy replay). */
export function decide(
  policy: Policy,
  requester: Requester,
  facts: RequestFacts,
  avs: string,
  category: string,
  consents: readonly ConsentRecord[],
  today: string,
): Decision {
  return new Decider(policy, requester, facts, today).decide(avs, category, consents);
}
