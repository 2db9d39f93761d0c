// Opening and closing a case, journaled in the access log's chain (CONTRACT.md section 7): the
// GraphQL mutations and the bulk sync of an institution's case-management system both change
// the repertory here. A change the log cannot record is undone: no case without its entry.
import type { Journal } from '../audit/journal.ts';
import type { GroupHeader } from '../audit/record-format.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { CaseRecord, CaseRepertory } from './store.ts';

/** The category case actions are journaled under. */
export const CASE_CATEGORY = 'case.repertory';

export class CaseChangeNotJournaled extends Error {}

export interface CaseChange {
  avs: string;
  institution: Institution;
  caseReference: string;
  on: string;
}

export async function openCaseJournaled(cases: CaseRepertory, journal: Journal, c: CaseChange, header: GroupHeader): Promise<{ record: CaseRecord; changed: boolean }> {
  const result = await cases.openCase(c);
  if (!result.changed) return result;
  try {
    await journal.actions(header, [{ action: 'CASE_OPENED', avs: c.avs, category: CASE_CATEGORY, decision: 'ALLOWED', caseReference: c.caseReference }]);
  } catch (e) {
    await cases.closeCase(c).catch(() => undefined);
    throw new CaseChangeNotJournaled(`the case was not opened: the access log cannot be written (${(e as Error).message})`);
  }
  return result;
}

export async function closeCaseJournaled(cases: CaseRepertory, journal: Journal, c: CaseChange, header: GroupHeader): Promise<CaseRecord> {
  const record = await cases.closeCase(c);
  try {
    await journal.actions(header, [{ action: 'CASE_CLOSED', avs: c.avs, category: CASE_CATEGORY, decision: 'ALLOWED', caseReference: c.caseReference }]);
  } catch (e) {
    // Closing takes effect even unjournaled (it releases less): the error still tells the caller.
    throw new CaseChangeNotJournaled(`the case was closed, but the access log cannot be written (${(e as Error).message})`);
  }
  return record;
}
