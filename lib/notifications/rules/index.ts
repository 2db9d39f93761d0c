// Every event rule, in the order events are detected.
import type { Institution } from '../../schema/catalogue.ts';
import { aiDecision } from './ai-decision.ts';
import { entitlementExhausting } from './entitlement-exhausting.ts';
import { fileOpenedOrClosed } from './file-opened-or-closed.ts';
import { orpRegistrationRequired } from './orp-registration-required.ts';
import type { EventRule } from './rule.ts';

export const EVENT_RULES: readonly EventRule[] = [fileOpenedOrClosed, entitlementExhausting, aiDecision, orpRegistrationRequired];

/** The rules that watch an institution's files. */
export const rulesWatching = (institution: Institution, rules: readonly EventRule[] = EVENT_RULES): EventRule[] => rules.filter((r) => r.sources[institution] !== undefined);

/** The categories an institution's files are observed for: what its registry is asked, and no more. */
export const categoriesWatched = (institution: Institution, rules: readonly EventRule[] = EVENT_RULES): string[] => [
  ...new Set(rulesWatching(institution, rules).map((r) => r.sources[institution]!)),
];

export type { EventRule } from './rule.ts';
