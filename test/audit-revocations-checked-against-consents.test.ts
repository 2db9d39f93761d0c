// The log's CONSENT_REVOKED entries against the consent store (lib/audit/revocations.ts): a
// consent revoked in the log and in force in the store is named; a refused revocation attempt,
// a consent revoked in the store, or one no longer stored (it cannot be honoured) is not.
import { describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../lib/audit/log.ts';
import { checkRevocations } from '../lib/audit/revocations.ts';
import type { ConsentRecord } from '../lib/consents/store.ts';

const entry = (id: string, over: Partial<AccessLogEntry>): AccessLogEntry =>
  ({ id, at: `2026-12-0${id}T10:00:00.000Z`, action: 'READ', institution: 'CII', role: 'cii-referent', subject: 's', client: null, avs: '756.1234.5678.97', category: 'consent', decision: 'ALLOWED', reason: null, legalBasis: null, consentId: null, rule: null, condition: null, policy: null, caseReference: null, purpose: null, subgraph: 'consent', requestId: `r${id}`, ...over }) as AccessLogEntry;

const consent = (id: string, revokedAt: string | null) => ({ id, revokedAt }) as ConsentRecord;

async function* batches(...lists: (AccessLogEntry[] | null)[]) {
  for (const l of lists) yield l;
}

describe('consent revocations against the store', () => {
  it('names each consent revoked in the log but in force in the store, once', async () => {
    const store = new Map([
      ['rolled-back', consent('rolled-back', null)],
      ['revoked', consent('revoked', '2026-12-02T10:00:00.000Z')],
      ['attempted', consent('attempted', null)],
    ]);
    const check = await checkRevocations(
      batches(
        [entry('1', { action: 'CONSENT_REVOKED', consentId: 'rolled-back' }), entry('2', { action: 'CONSENT_REVOKED', consentId: 'revoked' })],
        null,
        [entry('3', { action: 'CONSENT_REVOKED', consentId: 'rolled-back' }), entry('4', { action: 'CONSENT_REVOKED', consentId: 'attempted', decision: 'DENIED' })],
        [entry('5', { action: 'CONSENT_REVOKED', consentId: 'deleted' }), entry('6', { action: 'READ', consentId: 'rolled-back' })],
      ),
      { get: async (id) => store.get(id) ?? null },
    );
    expect(check.revoked).toBe(3);
    expect(check.findings).toEqual([
      { where: 'consent rolled-back', problem: 'revoked at 2026-12-01T10:00:00.000Z (entry 1, by CII cii-referent) but the consent store holds it in force: the revocation was undone in Redis' },
    ]);
  });

  it('fails when the store cannot be read, rather than passing', async () => {
    const failing = { get: async () => Promise.reject(new Error('store down')) };
    await expect(checkRevocations(batches([entry('1', { action: 'CONSENT_REVOKED', consentId: 'x' })]), failing)).rejects.toThrow('store down');
  });
});
