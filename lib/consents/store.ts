// The consent registry's storage interface. Every subgraph reads consents through it; the
// in-memory implementation serves the embedded default, Redis the shared deployments.
import type { Institution } from '../schema/catalogue.ts';

export interface ConsentRecord {
  id: string;
  avs: string;
  recipients: Institution[];
  categories: string[];
  purpose: string;
  /** ISO date, last day in force. */
  validUntil: string;
  grantedAt: string;
  revokedAt: string | null;
  /** SHA-256 of the signed form. */
  evidence: string;
  /** Who recorded it. */
  recordedBy: { institution: Institution; role: string; subject: string };
  revokedBy: { institution: Institution; role: string; subject: string } | null;
}

export type NewConsent = Omit<ConsentRecord, 'id' | 'revokedAt' | 'revokedBy'>;

export interface ConsentStore {
  grant(consent: NewConsent): Promise<ConsentRecord>;
  /** Null when no consent has that id; an already revoked consent is returned unchanged. */
  revoke(id: string, at: string, by: ConsentRecord['recordedBy']): Promise<ConsentRecord | null>;
  get(id: string): Promise<ConsentRecord | null>;
  /** All consents of each person (revoked and expired included), newest first. One round trip. */
  forPersons(avs: readonly string[]): Promise<Map<string, ConsentRecord[]>>;
  close(): Promise<void>;
}
