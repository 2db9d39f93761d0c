// Who sees which consents of a person, and who may withdraw one (CONTRACT.md sections 6 and 7).
// Staff see only the consents that concern the institution they act for (it is a recipient, or
// recorded it), and the recorder only of those their institution recorded: a consent another
// institution recorded would otherwise tell them that institution follows the person. The DPO
// and the person see every consent with its recorder.
import type { Policy } from '../access/policy.ts';
import type { Requester } from '../access/requester.ts';
import type { ConsentRecord } from './store.ts';

/** The role of the person concerned (CONTRACT.md section 6: `data-subject`); its token's subject is their AVS number. */
export const DATA_SUBJECT_ROLE = 'data-subject';

/** Whether the requester is the person this AVS number names. */
export const isThePerson = (requester: Requester, avs: string): boolean => requester.role === DATA_SUBJECT_ROLE && requester.subject === avs;

/** Whether the requester is staff who records consents (and so sees only those of its institution). */
const recordsConsents = (policy: Policy, requester: Requester): boolean => policy.permits(requester.role, 'consent.record');

/** The institution a consent's recorder acted for; none for a consent the person gave themselves. */
const recordedFor = (policy: Policy, c: ConsentRecord): string | undefined =>
  c.recordedBy.role === DATA_SUBJECT_ROLE ? undefined : policy.actsFor(c.recordedBy.institution, c.recordedBy.role);

/** Whether the person gave this consent themselves (not recorded by staff). */
export const givenByThePerson = (c: ConsentRecord): boolean => c.recordedBy.role === DATA_SUBJECT_ROLE && c.recordedBy.subject === c.avs;

export interface VisibleConsent {
  record: ConsentRecord;
  /** Whether the requester may see who recorded (and withdrew) it. */
  showRecorder: boolean;
}

/** The person's consents as this requester may see them (the category consent.records was released already). */
export function visibleConsents(policy: Policy, requester: Requester, avs: string, consents: readonly ConsentRecord[]): VisibleConsent[] {
  if (isThePerson(requester, avs) || !recordsConsents(policy, requester)) return consents.map((record) => ({ record, showRecorder: true }));
  const mine = policy.actsFor(requester.institution, requester.role);
  return consents.flatMap((record) => {
    const recordedHere = recordedFor(policy, record) === mine;
    return recordedHere || record.recipients.includes(mine as ConsentRecord['recipients'][number]) ? [{ record, showRecorder: recordedHere }] : [];
  });
}

/** Whether the requester may withdraw this consent: the person, or staff of the institution that recorded it. */
export function mayRevoke(policy: Policy, requester: Requester, consent: ConsentRecord): boolean {
  if (isThePerson(requester, consent.avs)) return true;
  return recordsConsents(policy, requester) && recordedFor(policy, consent) === policy.actsFor(requester.institution, requester.role);
}
