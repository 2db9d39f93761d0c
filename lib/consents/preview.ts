// What a consent would release, to whom, under the active policy: the preview the person sees
// before giving a consent themselves (issue 19, point 6). Pure: the policy, the catalogue and
// the fields of each category (from the supergraph) in, one line per recipient, role and category out.
import type { Policy } from '../access/policy.ts';
import type { CategoryCatalogue, Institution } from '../schema/catalogue.ts';

export interface PreviewLine {
  /** The institution the consent names. */
  recipient: Institution;
  /** A role whose staff would read under it (the policy's description in words). */
  role: string;
  roleDescription: string;
  category: string;
  /**
   * consent: this consent would release it (within an open case, as the policy's consent
   * conditions say); law: released to them by law already, the consent changes nothing;
   * never: not even with consent; none: no rule names it for them, the consent releases nothing.
   */
  effect: 'consent' | 'law' | 'never' | 'none';
  /** The citation of the law, for effect law. */
  legalBasis: string | null;
  /** The fields (Type.field of the schema) the category covers. */
  fields: string[];
  /** What must hold besides the consent, in words (e.g. an open case). */
  conditions: string[];
}

/** Every role whose requests a consent naming this institution answers: its own staff, and the roles matched as it (the CII's referents). */
export function rolesMatchedAs(policy: Policy, recipient: Institution): { role: string; at: Institution; description: string }[] {
  const out: { role: string; at: Institution; description: string }[] = [];
  for (const r of policy.roles.values()) {
    if (r.consentRecipient === 'own' && r.institutions.includes(recipient)) out.push({ role: r.id, at: recipient, description: r.description });
    else if (r.consentRecipient === recipient) out.push({ role: r.id, at: r.institutions.includes(recipient) ? recipient : r.institutions[0]!, description: r.description });
  }
  return out;
}

export function previewConsent(
  policy: Policy,
  catalogue: CategoryCatalogue,
  fieldsOf: (category: string) => string[],
  consent: { recipients: readonly Institution[]; categories: readonly string[] },
): PreviewLine[] {
  const lines: PreviewLine[] = [];
  // Roles that never read by consent (the DPO, the person) are no recipients of one.
  const readsByConsent = (at: Institution, role: string) => [...policy.releasesOf(at, role).values()].some((r) => r.kind === 'consent');
  for (const recipient of consent.recipients) {
    for (const { role, at, description } of rolesMatchedAs(policy, recipient).filter((r) => readsByConsent(r.at, r.role))) {
      for (const category of consent.categories) {
        if (!catalogue.has(category)) continue;
        const release = policy.releaseFor(at, role, category);
        const effect = release === undefined ? 'none' : release.kind === 'legalBasis' ? 'law' : release.kind;
        lines.push({
          recipient,
          role,
          roleDescription: description,
          category,
          effect,
          legalBasis: release?.kind === 'legalBasis' ? release.basis.citation : null,
          fields: fieldsOf(category),
          conditions: release?.kind === 'consent' ? release.conditions.map((c) => c.description) : [],
        });
      }
    }
  }
  return lines;
}
