// What the sample policy file says, read directly from the JSON, independently of the
// product's policy code: the reference the enforcement tests compare real responses with.
import { readFileSync } from 'node:fs';
import { SAMPLE_POLICY_PATH } from '../../lib/access/policy.ts';
import type { Institution } from '../../lib/schema/catalogue.ts';

export interface RawPolicy {
  roles: { id: string; institutions: Institution[]; consentRecipient: string }[];
  legalBases: { id: string; citation: string; conditions: { type: string; purposes?: string[] }[] }[];
  rules: { institution: string; roles: string[]; categories: Record<string, string> }[];
}
export const RAW_POLICY: RawPolicy = JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8'));

export type ConsentState = 'none' | 'valid' | 'expired' | 'revoked' | 'otherPurpose' | 'otherInstitution';

export interface Facts {
  purpose?: string;
  caseReference?: string;
}

/** Whether the policy releases a category to a requester, given the person's consent situation. */
export function released(inst: Institution, role: string, category: string, state: ConsentState, facts: Facts): boolean {
  const rule = RAW_POLICY.rules.find((r) => (r.institution === inst || r.institution === '*') && r.roles.includes(role));
  const value = rule?.categories[category];
  if (!value || value === 'never') return false;
  if (value === 'consent') return state === 'valid' && facts.purpose === 'cii';
  const basis = RAW_POLICY.legalBases.find((b) => b.id === value)!;
  return basis.conditions.every((c) =>
    c.type === 'purposeRequired'
      ? !!facts.purpose
      : c.type === 'caseReferenceRequired'
        ? !!facts.caseReference
        : c.type === 'purposeIn'
          ? c.purposes!.includes(facts.purpose ?? '')
          : false,
  );
}

/** Every institution × role the policy knows. */
export const REQUESTERS = RAW_POLICY.roles.flatMap((r) => r.institutions.map((institution) => ({ institution, role: r.id, recipient: r.consentRecipient })));
