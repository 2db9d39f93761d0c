// Recording and revoking a consent, journaled in the access log's chain (CONTRACT.md section 7),
// as lib/cases/changes.ts does for cases: the DPO sees who recorded or withdrew which consent,
// in the same chain as the reads it released. A grant the log cannot record is withdrawn again.
import type { Journal } from '../audit/journal.ts';
import type { GroupHeader } from '../audit/record-format.ts';
import type { ConsentRecord, ConsentStore, NewConsent } from './store.ts';

/** The category consent actions are journaled under. */
export const CONSENT_CATEGORY = 'consent.records';

export class ConsentChangeNotJournaled extends Error {}

export function grantConsentJournaled(store: ConsentStore, journal: Journal, consent: NewConsent, header: GroupHeader): Promise<ConsentRecord> {
  return recordJournaled(store, journal, consent, header, 'CONSENT_GRANTED');
}

/** A consent the person gave and confirmed themselves, after its preview: journaled CONSENT_CONFIRMED. */
export function giveConsentJournaled(store: ConsentStore, journal: Journal, consent: NewConsent, header: GroupHeader): Promise<ConsentRecord> {
  return recordJournaled(store, journal, consent, header, 'CONSENT_CONFIRMED');
}

async function recordJournaled(store: ConsentStore, journal: Journal, consent: NewConsent, header: GroupHeader, action: 'CONSENT_GRANTED' | 'CONSENT_CONFIRMED'): Promise<ConsentRecord> {
  const record = await store.grant(consent);
  try {
    await journal.actions(header, [{ action, avs: record.avs, category: CONSENT_CATEGORY, decision: 'ALLOWED', consentId: record.id }]);
  } catch (e) {
    // An unjournaled consent must release nothing: withdrawn at once, by the one who recorded it.
    await store.revoke(record.id, consent.grantedAt, consent.recordedBy).catch(() => undefined);
    throw new ConsentChangeNotJournaled(`the consent was not recorded: the access log cannot be written (${(e as Error).message})`);
  }
  return record;
}

/** Null when no consent has that id. A consent revoked already is returned as it stands, not journaled again. */
export async function revokeConsentJournaled(
  store: ConsentStore,
  journal: Journal,
  id: string,
  at: string,
  by: ConsentRecord['recordedBy'],
  header: GroupHeader,
): Promise<ConsentRecord | null> {
  const before = await store.get(id);
  if (!before) return null;
  const record = await store.revoke(id, at, by);
  if (!record || before.revokedAt !== null) return record;
  try {
    await journal.actions(header, [{ action: 'CONSENT_REVOKED', avs: record.avs, category: CONSENT_CATEGORY, decision: 'ALLOWED', consentId: record.id }]);
  } catch (e) {
    // The revocation stands even unjournaled (it releases less): the error still tells the caller.
    throw new ConsentChangeNotJournaled(`the consent was revoked, but the access log cannot be written (${(e as Error).message})`);
  }
  return record;
}
