// The access log: every decision, allowed or denied, and every consent and case action,
// appended before any data is returned, hash-chained (lib/audit/chain.ts) so that a deleted
// or altered entry is detected. Stores keep records in the format of lib/audit/record-format.ts.
import type { DenialReason } from '../access/decision.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { ChainVerdict, LogHead } from './chain.ts';
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

/** The stored texts a verifier compares: what a snapshot of the log's store holds. */
export interface StoreSnapshot {
  /** The head as the store holds it; `unreadable` when it is not a head this version can read. */
  head: LogHead | { unreadable: string };
  /** The retention mark (lib/audit/retention.ts): records up to it were archived and removed. */
  mark: string | null;
  /** How many records the store holds. */
  records: number;
  /** The latest checkpoint (lib/audit/checkpoint.ts), as stored. */
  latestCheckpoint: string | null;
  /** Every checkpoint kept, by the number it is stored under (only when asked for). */
  checkpoints?: Array<{ n: string; text: string }>;
}

/** A person's index as stored: the records holding their entries, each scored by its first entry id. */
export interface PersonIndex {
  avs: string;
  records: Array<{ seq: number; firstId: number }>;
}

/**
 * What sealing, verifying, archiving and retention read and write beside appends: the log's
 * store as it is, stored texts and all (lib/audit/checkpoint.ts, verify.ts, archive.ts,
 * retention.ts). Both stores implement it.
 */
export interface LogStore {
  /** Head, retention mark, record count and latest checkpoint (and every checkpoint if asked) as of one moment. */
  snapshot(opts?: { checkpoints?: boolean }): Promise<StoreSnapshot>;
  /** Records `from`..`to` as stored, in order (`raw` null: nothing under that number). */
  records(from: number, to: number): AsyncIterable<{ seq: number; raw: string | null }>;
  /** Every person index as stored; null when the store derives it from the records itself (memory). */
  personIndexes(): AsyncIterable<PersonIndex> | null;
  /** Stores a checkpoint if the latest is still `expectedLatest` (null: none yet); false when another writer's came first. */
  addCheckpoint(expectedLatest: string | null, n: number, text: string): Promise<boolean>;
  /**
   * Retention: sets the mark to `mark` and removes records `seqs`, their index entries (scored up
   * to `lastId`) and the checkpoints `checkpoints`, at once, if the mark is still `expectedMark`.
   */
  prune(expectedMark: string | null, mark: string, cut: { seqs: number[]; lastId: number; persons: string[]; checkpoints: string[] }): Promise<boolean>;
  /** Called with the new head after each append that landed. */
  onAppended(listener: (head: LogHead) => void): void;
  /** Where the store is, for messages (a Redis URL without password and prefix, or "memory"). */
  readonly where: string;
}
