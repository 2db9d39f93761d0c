// Each stored consent is signed by the consent service (HMAC-SHA256 over a canonical form),
// so a record altered in storage is detected and not honoured.
import { HmacSigner } from '../signing.ts';
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
  private readonly hmac: HmacSigner;
  constructor(key: Buffer) {
    this.hmac = new HmacSigner(key);
  }

  sign(record: ConsentRecord): SignedConsent {
    return { record, signature: this.hmac.signature(canonical(record)) };
  }

  verify(signed: SignedConsent): boolean {
    return this.hmac.holds(canonical(signed.record), signed.signature);
  }
}
