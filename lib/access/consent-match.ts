// Which consent, if any, releases a category to a recipient for a purpose on a day: not
// revoked, not expired, naming the recipient, the category and the purpose. The one matcher:
// live decisions and the policy replay (which first takes the consents as they stood then).
import type { ConsentRecord } from '../consents/store.ts';
import type { Institution } from '../schema/catalogue.ts';

export function consentInForce(
  consents: readonly ConsentRecord[],
  recipient: Institution,
  category: string,
  purpose: string | undefined,
  day: string,
): ConsentRecord | undefined {
  if (!purpose) return undefined;
  return consents.find(
    (c) => c.revokedAt === null && c.validUntil >= day && c.purpose === purpose && c.recipients.includes(recipient) && c.categories.includes(category),
  );
}
