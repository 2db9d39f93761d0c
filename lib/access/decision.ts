// What a request asks (a person's data of one category) and what the policy decides about it.
// The named data between the decision core's stages: the collector gathers asks, decide()
// turns them into decisions, the journal records the decisions.

/** One person's data of one category, asked by a request. */
export interface Ask {
  avs: string;
  category: string;
}

/** Why a category is denied (CONTRACT.md section 4), as the client, the journal and the DPO read it. */
export const DENIAL_REASONS = ['NO_RULE', 'NEVER', 'CONDITION_UNMET', 'NO_CONSENT', 'NO_OPEN_CASE'] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** A condition of a rule that the request did not meet: its type in the policy file, what it demands and why it is not met. */
export interface UnmetCondition {
  type: string;
  demands: string;
  unmet: string;
}

interface Decided extends Ask {
  /** The rule it was decided by: its index in the policy file's `rules` (none when no rule names the category). */
  rule?: number;
  /** The person's open case it was decided under, where the request named none (a caseload). */
  caseReference?: string;
}

export interface Allowed extends Decided {
  allowed: true;
  rule: number;
  /** The citation of the legal basis that released it, or the consent that did. */
  legalBasis?: string;
  consentId?: string;
}

export interface Denied extends Decided {
  allowed: false;
  reason: DenialReason;
  /** The legal basis whose condition the request did not meet (CONDITION_UNMET, NO_OPEN_CASE under a legal basis). */
  legalBasis?: string;
  condition?: UnmetCondition;
}

export type Decision = Allowed | Denied;
