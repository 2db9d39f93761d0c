// A turn's decisions are made by column (one category, the persons asked for it): a rule that
// decides alike for everyone is applied once for the column, a consent is matched per person,
// and what is selected under an allowed field joins the turn even where the same category was
// decided earlier in that turn for other persons: no one is left without a decision.
import { describe, expect, it } from 'vitest';
import { entriesOf, recordOf, type EntryGroup } from '../lib/audit/chain.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { seedConsent } from './support/consents.ts';
import { counsellorAccess } from './support/request-access.ts';

const [A, B, C] = ['756.1234.5678.97', '756.9876.5432.17', '756.1111.2222.39'];

async function setUp() {
  const consents = new MemoryConsentStore();
  // ai.workCapacity is released to the AC only by the person's consent: B signed one.
  await seedConsent(consents, { avs: B!, recipients: ['AC'], categories: ['ai.workCapacity'], purpose: 'cii' });
  return counsellorAccess(consents);
}

const entries = (groups: EntryGroup[]) => entriesOf(recordOf(1, 1, groups)).map((e) => `${e.avs} ${e.category} ${e.decision}`);

describe('decisions made by column', () => {
  it('decides a category under a field for persons joining after the same category was decided for others in the turn', async () => {
    const { access, groups } = await setUp();
    // A asks ai.decision and ai.workCapacity directly; B and C reach them under their file: the
    // first two columns are decided before B's and C's files are, so B and C join new ones.
    const waits = [
      access.decided(A, ['ai.decision', 'ai.workCapacity']),
      access.decided(B, ['ai.file'], ['ai.decision', 'ai.workCapacity']),
      access.decided(C, ['ai.file'], ['ai.decision', 'ai.workCapacity']),
    ];
    await Promise.all(waits);
    for (const avs of [A, B, C]) {
      expect(access.outcome(avs, 'ai.decision'), avs).toMatchObject({ allowed: true, legalBasis: 'LPGA art. 32 al. 1 et 2' });
    }
    expect(access.outcome(A, 'ai.workCapacity')).toMatchObject({ allowed: false });
    expect(access.outcome(B, 'ai.workCapacity')).toMatchObject({ allowed: true, consentId: expect.any(String) });
    expect(access.outcome(C, 'ai.workCapacity')).toMatchObject({ allowed: false });
    // One record, each decision once.
    expect(groups).toHaveLength(1);
    expect(entries(groups).sort()).toEqual(
      [
        `${A} ai.decision ALLOWED`,
        `${A} ai.workCapacity DENIED`,
        `${B} ai.file ALLOWED`,
        `${B} ai.decision ALLOWED`,
        `${B} ai.workCapacity ALLOWED`,
        `${C} ai.file ALLOWED`,
        `${C} ai.decision ALLOWED`,
        `${C} ai.workCapacity DENIED`,
      ].sort(),
    );
  });

  it('decides nothing under a field denied to the whole column', async () => {
    const { access, groups } = await setUp();
    // ai.medical is never released to the AC: what is under it is neither decided nor journaled.
    await Promise.all([B, C].map((avs) => access.decided(avs, ['ai.medical'], ['ai.decision'])));
    expect(access.outcome(B, 'ai.medical')).toMatchObject({ allowed: false });
    expect(access.outcome(B, 'ai.decision')).toBeUndefined();
    expect(entries(groups).sort()).toEqual([`${B} ai.medical DENIED`, `${C} ai.medical DENIED`].sort());
  });

  it('journals a column decided alike as one run of its persons, and a consent column per person', async () => {
    const { access, groups } = await setUp();
    await Promise.all([A, B, C].map((avs) => access.decided(avs, ['ai.file'], ['ai.workCapacity'])));
    const items = groups[0]![8];
    const file = items.filter((i) => i[0] === 'ai.file');
    expect(file).toEqual([['ai.file', 'ALLOWED', 'LAI art. 68bis', null, [A, B, C]]]);
    const capacity = items.filter((i) => i[0] === 'ai.workCapacity');
    expect(capacity.map((i) => i[1]).sort()).toEqual(['ALLOWED', 'DENIED']);
  });
});
