// In-memory consent store: the embedded default of `npm start` (one process, one store).
// Records are frozen and replaced, never changed in place, so reads can hand out the stored
// ones without copying (a caseload reads 200 persons' consents per subgraph request).
import { randomUUID } from 'node:crypto';
import type { ConsentRecord, ConsentStore, NewConsent } from './store.ts';

const NONE: ConsentRecord[] = Object.freeze([]) as unknown as ConsentRecord[];

function frozen(record: ConsentRecord): ConsentRecord {
  Object.freeze(record.recipients);
  Object.freeze(record.categories);
  Object.freeze(record.recordedBy);
  if (record.revokedBy) Object.freeze(record.revokedBy);
  return Object.freeze(record);
}

export class MemoryConsentStore implements ConsentStore {
  private readonly byId = new Map<string, ConsentRecord>();
  /** Newest first; each list is frozen and replaced on change. */
  private readonly byAvs = new Map<string, ConsentRecord[]>();

  async grant(consent: NewConsent): Promise<ConsentRecord> {
    const record = frozen({ ...structuredClone(consent), id: randomUUID(), revokedAt: null, revokedBy: null });
    this.byId.set(record.id, record);
    this.byAvs.set(record.avs, Object.freeze([record, ...(this.byAvs.get(record.avs) ?? [])]) as ConsentRecord[]);
    return structuredClone(record);
  }

  async revoke(id: string, at: string, by: ConsentRecord['recordedBy']): Promise<ConsentRecord | null> {
    const record = this.byId.get(id);
    if (!record) return null;
    if (record.revokedAt !== null) return structuredClone(record);
    const revoked = frozen({ ...structuredClone(record), revokedAt: at, revokedBy: { ...by } });
    this.byId.set(id, revoked);
    this.byAvs.set(record.avs, Object.freeze((this.byAvs.get(record.avs) ?? []).map((r) => (r.id === id ? revoked : r))) as ConsentRecord[]);
    return structuredClone(revoked);
  }

  async get(id: string): Promise<ConsentRecord | null> {
    const r = this.byId.get(id);
    return r ? structuredClone(r) : null;
  }

  async forPersons(avs: readonly string[]): Promise<Map<string, ConsentRecord[]>> {
    return new Map(avs.map((a) => [a, this.byAvs.get(a) ?? NONE]));
  }

  async close(): Promise<void> {}
}
