// The case repertory (CONTRACT.md section 6, after the reference repertory of Belgium's
// Crossroads Bank): per person, which institution handles them under which case reference,
// since when, until when. Nothing else. Written only by openCase/closeCase and the bulk sync of
// an institution's case-management system; read, with the consents, for a batch of decisions.
import { z } from 'zod';
import { Institution } from '../schema/catalogue.ts';

export interface CaseRecord {
  avs: string;
  institution: Institution;
  caseReference: string;
  /** ISO date the case was opened. */
  openedOn: string;
  /** ISO date it was closed; null while open. */
  closedOn: string | null;
}

/** Refused: a reference open for another person at that institution, or closing a case that is not open. */
export class CaseConflict extends Error {}

export interface CaseRepertory {
  /**
   * Opens a case; `changed` is false when that very case is open already (opening is idempotent).
   * Throws CaseConflict when the reference is open at that institution for another person.
   */
  openCase(c: { avs: string; institution: Institution; caseReference: string; on: string }): Promise<{ record: CaseRecord; changed: boolean }>;
  /** Closes an open case; throws CaseConflict when that case is not open for that person there. */
  closeCase(c: { avs: string; institution: Institution; caseReference: string; on: string }): Promise<CaseRecord>;
  /** Every case of each person (closed ones included), oldest first. One round trip. */
  forPersons(avs: readonly string[]): Promise<Map<string, CaseRecord[]>>;
  /** The person a reference is open for at an institution, if any. */
  holderOf(institution: Institution, caseReference: string): Promise<string | undefined>;
  /** Every person the repertory holds cases for (written or listed by the seed): whom notifications compare. */
  persons(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The cases a repertory starts with for a person it has never recorded a change of (the mock
 * registries' scenario and generated persons, in development); none in production.
 */
export interface CaseSeed {
  casesOf(avs: string): CaseRecord[];
  /** The person a seeded reference belongs to, if it is one. */
  holderOf(institution: Institution, caseReference: string): string | undefined;
  /** The persons it lists (a seed that answers for anyone, like the generated persons', lists only the named ones). */
  persons?(): string[];
}

export const NO_SEED: CaseSeed = { casesOf: () => [], holderOf: () => undefined, persons: () => [] };

/** The open cases of a person at an institution. */
export const openCasesAt = (cases: readonly CaseRecord[], institution: Institution): CaseRecord[] =>
  cases.filter((c) => c.institution === institution && c.closedOn === null);

/** A case reference of the repertory (CONTRACT.md section 6): 1-100 of A-Z a-z 0-9 . _ / : # - */
export const RepertoryCaseReference = z.string().regex(/^[A-Za-z0-9._/:#-]{1,100}$/, 'a case reference is 1-100 of A-Z a-z 0-9 . _ / : # -');

/** A stored case record, as read back from a store (an edge: Redis). */
export const StoredCase = z.strictObject({
  avs: z.string(),
  institution: Institution,
  caseReference: RepertoryCaseReference,
  openedOn: z.iso.date(),
  closedOn: z.iso.date().nullable(),
});
