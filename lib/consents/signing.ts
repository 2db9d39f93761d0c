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

/** A revocation's trace, kept apart from the record and never overwritten (see redis.ts). */
export interface RevocationTrace {
  id: string;
  avs: string;
  revokedAt: string;
  revokedBy: NonNullable<ConsentRecord['revokedBy']>;
  signature: string;
}

const canonicalTrace = (t: Omit<RevocationTrace, 'signature'>) =>
  JSON.stringify(['revoked', t.id, t.avs, t.revokedAt, t.revokedBy.institution, t.revokedBy.role, t.revokedBy.subject]);

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

  signTrace(t: Omit<RevocationTrace, 'signature'>): RevocationTrace {
    return { ...t, signature: this.hmac.signature(canonicalTrace(t)) };
  }

  verifyTrace(t: RevocationTrace): boolean {
    return this.hmac.holds(canonicalTrace(t), t.signature);
  }
}
