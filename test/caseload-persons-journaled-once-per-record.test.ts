// A caseload's categories are mostly decided alike for the same persons: the journal writes
// their AVS numbers once per record, and later runs name that list. Every entry still reads
// back, each person's own, and decisions that differ between persons keep their own lists.
import { describe, expect, it } from 'vitest';
import { entriesOf, recordOf } from '../lib/audit/chain.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { seedConsent } from './support/consents.ts';
import { counsellorAccess } from './support/request-access.ts';

const P = ['756.1234.5678.97', '756.9876.5432.17', '756.1111.2222.39'];

async function journal(prepare?: (consents: MemoryConsentStore) => Promise<unknown>) {
  const consents = new MemoryConsentStore();
  await prepare?.(consents);
  const { access, groups } = counsellorAccess(consents);
  await Promise.all(P.map((p) => access.decided(p, ['ai.file'], ['ai.decision', 'ai.measures', 'ai.medical', 'ai.workCapacity'])));
  expect(groups).toHaveLength(1);
  return groups[0]!;
}

describe('a caseload journaled as one record', () => {
  it('writes the persons once when every category is decided alike for all of them', async () => {
    const group = await journal();
    const json = JSON.stringify(group);
    for (const avs of P) expect(json.split(avs).length - 1, avs).toBe(1);
    const read = entriesOf(recordOf(1, 1, [group])).map((e) => `${e.avs} ${e.category} ${e.decision}`);
    expect(read.sort()).toEqual(
      P.flatMap((p) => [`${p} ai.decision ALLOWED`, `${p} ai.file ALLOWED`, `${p} ai.measures ALLOWED`, `${p} ai.medical DENIED`, `${p} ai.workCapacity DENIED`]).sort(),
    );
  });

  it('keeps a list of its own for a decision that differs between persons', async () => {
    // ai.workCapacity is released to the AC only by the person's consent: one of the three signed.
    const group = await journal((consents) => seedConsent(consents, { avs: P[1]!, recipients: ['AC'], categories: ['ai.workCapacity'], purpose: 'cii' }));
    const capacity = entriesOf(recordOf(1, 1, [group])).filter((e) => e.category === 'ai.workCapacity');
    expect(capacity.map((e) => [e.avs, e.decision]).sort()).toEqual([[P[0], 'DENIED'], [P[1], 'ALLOWED'], [P[2], 'DENIED']].sort());
    const deniedRun = group[8].find((i) => i[0] === 'ai.workCapacity' && i[1] === 'DENIED')!;
    expect(deniedRun[4]).toEqual([P[0], P[2]]);
    // The release by consent is a run too, with the person's consent id beside their AVS number.
    const [consentId] = capacity.filter((e) => e.decision === 'ALLOWED').map((e) => e.consentId);
    expect(consentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(group[8].find((i) => i[0] === 'ai.workCapacity' && i[1] === 'ALLOWED')).toEqual(['ai.workCapacity', 'ALLOWED', null, [consentId], [P[1]]]);
  });
});
