// Which consent, if any, releases a category to a recipient for a purpose today: in force
// (not revoked, not expired), naming the recipient, the category and the purpose.
import type { ConsentRecord } from '../consents/store.ts';
import type { Institution } from '../schema/catalogue.ts';

export function releasingConsent(
  consents: readonly ConsentRecord[],
  recipient: Institution,
  category: string,
  purpose: string | undefined,
  today: string,
): ConsentRecord | undefined {
  if (!purpose) return undefined;
  // A loop, not find(): a caseload matches hundreds of times per request.
  for (const c of consents) {
    if (c.revokedAt === null && c.validUntil >= today && c.purpose === purpose && c.recipients.includes(recipient) && c.categories.includes(category)) return c;
  }
  return undefined;
}
