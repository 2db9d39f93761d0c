// What the log proves about consents: each revocation it journaled stands. The consent store
// keeps a signed revocation trace beside the record, but an operator with write access to
// Redis can remove both and write the earlier, genuinely signed record back, and the consent
// is in force again. The log's CONSENT_REVOKED entries cannot be removed unnoticed, so the
// store is checked against them: a consent revoked in the log and in force in the store is named.
import type { ConsentRecord } from '../consents/store.ts';
import type { AccessLogEntry } from './log.ts';
import type { Finding } from './verify.ts';

export interface RevocationCheck {
  /** Consents the log says were revoked. */
  revoked: number;
  findings: Finding[];
}

/** Checks every consent revoked in `entries` against the store; a consent no longer stored cannot be honoured and passes. */
export async function checkRevocations(
  entries: AsyncIterable<readonly AccessLogEntry[] | null>,
  consents: { get(id: string): Promise<ConsentRecord | null> },
): Promise<RevocationCheck> {
  const revokedAt = new Map<string, AccessLogEntry>();
  for await (const batch of entries) {
    for (const e of batch ?? []) {
      if (e.action === 'CONSENT_REVOKED' && e.decision === 'ALLOWED' && e.consentId !== null && !revokedAt.has(e.consentId)) revokedAt.set(e.consentId, e);
    }
  }
  const findings: Finding[] = [];
  for (const [id, entry] of revokedAt) {
    const stored = await consents.get(id);
    if (stored && stored.revokedAt === null) {
      findings.push({
        where: `consent ${id}`,
        problem: `revoked at ${entry.at} (entry ${entry.id}, by ${entry.institution} ${entry.role}) but the consent store holds it in force: the revocation was undone in Redis`,
      });
    }
  }
  return { revoked: revokedAt.size, findings };
}
