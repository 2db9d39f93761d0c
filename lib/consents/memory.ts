// In-memory consent store: the embedded default of `npm start` (one process, one store).
import { randomUUID } from 'node:crypto';
import type { ConsentRecord, ConsentStore, NewConsent } from './store.ts';

export class MemoryConsentStore implements ConsentStore {
  private readonly byId = new Map<string, ConsentRecord>();
  private readonly byAvs = new Map<string, ConsentRecord[]>();

  async grant(consent: NewConsent): Promise<ConsentRecord> {
    const record: ConsentRecord = { ...consent, id: randomUUID(), revokedAt: null, revokedBy: null };
    this.byId.set(record.id, record);
    this.byAvs.set(record.avs, [record, ...(this.byAvs.get(record.avs) ?? [])]);
    return structuredClone(record);
  }

  async revoke(id: string, at: string, by: ConsentRecord['recordedBy']): Promise<ConsentRecord | null> {
    const record = this.byId.get(id);
    if (!record) return null;
    if (record.revokedAt === null) {
      record.revokedAt = at;
      record.revokedBy = by;
    }
    return structuredClone(record);
  }

  async get(id: string): Promise<ConsentRecord | null> {
    const r = this.byId.get(id);
    return r ? structuredClone(r) : null;
  }

  async forPersons(avs: readonly string[]): Promise<Map<string, ConsentRecord[]>> {
    return new Map(avs.map((a) => [a, structuredClone(this.byAvs.get(a) ?? [])]));
  }

  async close(): Promise<void> {}
}
