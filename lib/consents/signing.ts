// Each stored consent is signed by the consent service (HMAC-SHA256 over a canonical form),
// so a record altered in storage is detected and not honoured.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConsentRecord } from './store.ts';

export interface SignedConsent {
  record: ConsentRecord;
  signature: string;
}

const canonical = (c: ConsentRecord) =>
  JSON.stringify([
    c.id, c.avs, [...c.recipients], [...c.categories], c.purpose, c.validUntil, c.grantedAt, c.revokedAt,
    c.evidence, c.recordedBy.institution, c.recordedBy.role, c.recordedBy.subject,
    c.revokedBy?.institution ?? null, c.revokedBy?.role ?? null, c.revokedBy?.subject ?? null,
  ]);

export class ConsentSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the consent signing key must be at least 32 bytes');
  }

  sign(record: ConsentRecord): SignedConsent {
    return { record, signature: createHmac('sha256', this.key).update(canonical(record)).digest('hex') };
  }

  verify(signed: SignedConsent): boolean {
    const expected = Buffer.from(createHmac('sha256', this.key).update(canonical(signed.record)).digest('hex'), 'hex');
    const actual = Buffer.from(signed.signature, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
