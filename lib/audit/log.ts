// The access log: every decision, allowed or denied, appended before any data is returned,
// hash-chained (lib/audit/chain.ts) so that a deleted or altered entry is detected.
import type { Institution } from '../schema/catalogue.ts';
import type { ChainVerdict, EntryGroup } from './chain.ts';

export interface AccessLogEntry {
  /** Sequence number in the log, as a string: "1", "2", ... */
  id: string;
  /** ISO 8601 timestamp. */
  at: string;
  institution: Institution;
  role: string;
  subject: string;
  /** Whose data. */
  avs: string;
  category: string;
  decision: 'ALLOWED' | 'DENIED';
  /** Citation of the legal basis that released the data. */
  legalBasis: string | null;
  consentId: string | null;
  purpose: string | null;
  caseReference: string | null;
  /** Which subgraph decided, and in which gateway request. */
  subgraph: string;
  requestId: string;
}

export type NewAccessLogEntry = Omit<AccessLogEntry, 'id'>;

export interface AccessLogQuery {
  avs: string;
  first: number;
  /** An entry id: only entries older than it. */
  before?: string | undefined;
  caseReference?: string | undefined;
}

export interface AuditLog {
  /** Appends all entries or none, in order, onto the chain; rejects when they cannot be durably written. */
  append(entries: readonly NewAccessLogEntry[]): Promise<void>;
  /** The same, for entries already grouped by header (a request's batch of decisions): no entry objects to build. */
  appendGroups(groups: readonly EntryGroup[]): Promise<void>;
  /** One person's entries, newest first. */
  query(q: AccessLogQuery): Promise<AccessLogEntry[]>;
  /** Walks the whole chain and names the first broken entry. */
  verify(): Promise<ChainVerdict>;
  close(): Promise<void>;
}
