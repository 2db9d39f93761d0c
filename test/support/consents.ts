// Consents seeded straight into a stack's store, as the consent registry would hold them.
import { randomBytes } from 'node:crypto';
import type { ConsentRecord, ConsentStore } from '../../lib/consents/store.ts';
import type { Institution } from '../../lib/schema/catalogue.ts';

export async function seedConsent(
  store: ConsentStore,
  c: { avs: string; recipients: Institution[]; categories: string[]; purpose: string; validUntil?: string; revoked?: boolean },
): Promise<ConsentRecord> {
  const by = { institution: 'CII' as const, role: 'cii-referent', subject: 'test-referent' };
  const record = await store.grant({
    avs: c.avs,
    recipients: c.recipients,
    categories: c.categories,
    purpose: c.purpose,
    validUntil: c.validUntil ?? '2099-12-31',
    grantedAt: new Date().toISOString(),
    evidence: randomBytes(32).toString('hex'),
    recordedBy: by,
  });
  return c.revoked ? (await store.revoke(record.id, new Date().toISOString(), by))! : record;
}
