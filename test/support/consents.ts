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

/** A signed consent form as a scanner would give it: a small PDF, different every time. */
export function consentFormPdf(): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n% consent form (test)\n'), Buffer.from(randomBytes(64).toString('hex')), Buffer.from('\n%%EOF\n')]);
}

/** Stores a signed form through the gateway (POST /consent-forms) as staff who may record consents; its SHA-256, the evidence of a grant. */
export async function storeConsentForm(gatewayUrl: string, headers: Record<string, string>, bytes: Buffer = consentFormPdf()): Promise<string> {
  const res = await fetch(`${gatewayUrl}/consent-forms`, { method: 'POST', headers: { ...headers, 'content-type': 'application/pdf' }, body: new Uint8Array(bytes) });
  const body = (await res.json()) as { sha256?: string };
  if (res.status !== 201 || !body.sha256) throw new Error(`storing a consent form answered ${res.status}: ${JSON.stringify(body)}`);
  return body.sha256;
}
