// The decision for one requester, one person and one category: allowed under a legal basis
// (its conditions met) or a consent in force, or denied. Pure: the caller brings the consents.
import type { ConsentRecord } from '../consents/store.ts';
import type { RequestFacts } from './conditions/index.ts';
import { releasingConsent } from './consent-match.ts';
import type { Policy } from './policy.ts';
import type { Requester } from './requester.ts';

export type Decision =
  | { allowed: true; legalBasis: string; consentId?: undefined }
  | { allowed: true; consentId: string; legalBasis?: undefined }
  | { allowed: false; reason: string };

export function decide(
  policy: Policy,
  requester: Requester,
  facts: RequestFacts,
  avs: string,
  category: string,
  consents: readonly ConsentRecord[],
  today: string,
): Decision {
  const release = policy.releaseFor(requester.institution, requester.role, category);
  if (!release) return { allowed: false, reason: 'no rule' };
  switch (release.kind) {
    case 'never':
      return { allowed: false, reason: 'never' };
    case 'legalBasis': {
      const input = { ...facts, requesterSubject: requester.subject, avs };
      for (const condition of release.basis.conditions) {
        const unmet = condition.check(input);
        if (unmet) return { allowed: false, reason: `${release.basis.citation}: ${unmet}` };
      }
      return { allowed: true, legalBasis: release.basis.citation };
    }
    case 'consent': {
      const recipient = policy.consentRecipientOf(requester.institution, requester.role);
      const consent = releasingConsent(consents, recipient, category, facts.purpose, today);
      return consent ? { allowed: true, consentId: consent.id } : { allowed: false, reason: 'no consent in force' };
    }
  }
}
