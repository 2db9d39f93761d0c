// The access log: every decision, allowed or denied, and every consent and case action,
// appended before any data is returned, hash-chained (lib/audit/chain.ts) so that a deleted
// or altered entry is detected. Stores keep records in the format of lib/audit/record-format.ts.
import type { DenialReason } from '../access/decision.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { ChainVerdict } from './chain.ts';
import type { LogGroup } from './record-format.ts';

/** What an entry journals: a decision on a read (READ), or an action on a consent or a case. */
export const LOG_ACTIONS = ['READ', 'CONSENT_GRANTED', 'CONSENT_REVOKED', 'CONSENT_CONFIRMED', 'CASE_OPENED', 'CASE_CLOSED', 'NOTIFICATION_DELIVERED'] as const;
export type LogAction = (typeof LOG_ACTIONS)[number];

export interface AccessLogEntry {
  /** Sequence number in the log, as a string: "1", "2", ... */
  id: string;
  /** ISO 8601 timestamp. */
  at: string;
  action: LogAction;
  institution: Institution;
  role: string;
  subject: string;
  /** The application that called on the requester's behalf (the token's client), when known. */
  client: string | null;
  /** Whose data. */
  avs: string;
  category: string;
  decision: 'ALLOWED' | 'DENIED';
  /** Why it was denied (null when allowed, and for entries written before ciigraph 0.5). */
  reason: DenialReason | null;
  /** Citation of the legal basis that released the data. */
  legalBasis: string | null;
  consentId: string | null;
  /** The rule decided by: its index in the policy file's `rules`. */
  rule: number | null;
  /** The condition that was not met (its type in the policy file). */
  condition: string | null;
  /** The policy decided under: "<name> <version>". */
  policy: string | null;
  purpose: string | null;
  caseReference: string | null;
  /** Which subgraph (or the gateway) decided, and in which gateway request. */
  subgraph: string;
  requestId: string;
}

/** An entry to append; what it does not say reads as a READ with no reason, rule or policy. */
export type NewAccessLogEntry = Omit<AccessLogEntry, 'id' | 'action' | 'client' | 'reason' | 'rule' | 'condition' | 'policy'> &
  Partial<Pick<AccessLogEntry, 'action' | 'client' | 'reason' | 'rule' | 'condition' | 'policy'>>;

export interface AccessLogQuery {
  avs: string;
  first: number;
  /** An entry id: only entries older than it. */
  before?: string | undefined;
  caseReference?: string | undefined;
}

/** Where the access log is kept: appends one record at a time; reads and verifies. */
export interface AuditLog {
  /** Appends the groups as one record onto the chain, all or nothing; rejects when it cannot be durably written. */
  appendGroups(groups: readonly LogGroup[]): Promise<void>;
  /** The same for entries one by one (tests, tooling): each its own item. */
  append(entries: readonly NewAccessLogEntry[]): Promise<void>;
  /** One person's entries, newest first. */
  query(q: AccessLogQuery): Promise<AccessLogEntry[]>;
  /** Every entry journaled at or after `at` (ISO 8601), oldest first: the DPO's recent days, read from the head back. */
  since(at: string): Promise<AccessLogEntry[]>;
  /** Walks the whole chain and names the first broken record. */
  verify(): Promise<ChainVerdict>;
  close(): Promise<void>;
}
