// What the sample policy file says, read directly from the JSON, independently of the
// product's policy code: the reference the enforcement tests compare real responses with.
import { readFileSync } from 'node:fs';
import { SAMPLE_POLICY_PATH } from '../../lib/access/policy.ts';
import type { Institution } from '../../lib/schema/catalogue.ts';

export interface RawPolicy {
  roles: { id: string; institutions: Institution[]; consentRecipient: string }[];
  legalBases: { id: string; citation: string; conditions: { type: string; purposes?: string[] }[] }[];
  consentConditions: { type: string }[];
  rules: { institution: string; roles: string[]; categories: Record<string, string> }[];
}
export const RAW_POLICY: RawPolicy = JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8'));

export type ConsentState = 'none' | 'valid' | 'expired' | 'revoked' | 'otherPurpose' | 'otherInstitution';

export interface Facts {
  purpose?: string;
  caseReference?: string;
}

/** A person's open cases: institution → case references. */
export type OpenCases = Partial<Record<Institution, string[]>>;

/** The institution a requester acts for: their own, or the role's consent recipient (CII for a referent). */
export function actsFor(inst: Institution, role: string): Institution {
  const recipient = RAW_POLICY.roles.find((r) => r.id === role)!.consentRecipient;
  return recipient === 'own' ? inst : (recipient as Institution);
}

function conditionMet(type: string, purposes: string[] | undefined, inst: Institution, role: string, facts: Facts, cases: OpenCases): boolean {
  switch (type) {
    case 'purposeRequired':
      return !!facts.purpose;
    case 'caseReferenceRequired':
      return !!facts.caseReference;
    case 'purposeIn':
      return purposes!.includes(facts.purpose ?? '');
    case 'openCase': {
      const open = cases[actsFor(inst, role)] ?? [];
      return facts.caseReference ? open.includes(facts.caseReference) : open.length > 0;
    }
    default:
      return false;
  }
}

/** The rule value (legal basis id, consent, never) for a requester and a category. */
export const ruleValue = (inst: Institution, role: string, category: string): string | undefined =>
  RAW_POLICY.rules.find((r) => (r.institution === inst || r.institution === '*') && r.roles.includes(role))?.categories[category];

/** Whether the rule of a category reads the person's cases (an open-case condition, or a consent). */
export function readsCases(inst: Institution, role: string, category: string): boolean {
  const value = ruleValue(inst, role, category);
  if (value === 'consent') return true;
  return RAW_POLICY.legalBases.find((b) => b.id === value)?.conditions.some((c) => c.type === 'openCase') ?? false;
}

/** Whether the policy releases a category to a requester, given the person's consent situation and open cases. */
export function released(inst: Institution, role: string, category: string, state: ConsentState, facts: Facts, cases: OpenCases = {}): boolean {
  const value = ruleValue(inst, role, category);
  if (!value || value === 'never') return false;
  if (value === 'consent') return RAW_POLICY.consentConditions.every((c) => conditionMet(c.type, undefined, inst, role, facts, cases)) && state === 'valid' && facts.purpose === 'cii';
  const basis = RAW_POLICY.legalBases.find((b) => b.id === value)!;
  return basis.conditions.every((c) => conditionMet(c.type, c.purposes, inst, role, facts, cases));
}

/** Every institution × role the policy knows. */
export const REQUESTERS = RAW_POLICY.roles.flatMap((r) => r.institutions.map((institution) => ({ institution, role: r.id, recipient: r.consentRecipient })));
