// The decisions asked in one turn are one batch, journaled as one record before any is acted
// upon: the fields asked, and what is selected under those released, even where the same
// category was asked directly for other persons of the turn. Nothing under a denied field is
// decided or journaled, and no decision is made twice.
import { describe, expect, it } from 'vitest';
import { MemoryCaseRepertory } from '../lib/cases/memory.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { MOCK_CASE_SEED } from '../mocks/cases.ts';
import { seedConsent } from './support/consents.ts';
import { counsellorDecisions } from './support/request-decisions.ts';

const [A, B, C] = ['756.1234.5678.97', '756.9876.5432.17', '756.1111.2222.39'] as const;

async function setUp() {
  const consents = new MemoryConsentStore();
  // ai.workCapacity is released to the AC only by the person's consent: B signed one.
  await seedConsent(consents, { avs: B, recipients: ['AC'], categories: ['ai.workCapacity'], purpose: 'cii' });
  // Every release outside the ORP's own mandate needs an open case there: A and B have theirs, C gets one.
  const cases = new MemoryCaseRepertory(MOCK_CASE_SEED);
  await cases.openCase({ avs: C, institution: 'AC', caseReference: 'ORP-GE-2026-7100', on: '2026-11-02' });
  return counsellorDecisions(consents, cases);
}

describe('a turn of asks', () => {
  it('decides the fields asked and what is under those released, and journals them together', async () => {
    const { access, log } = await setUp();
    await Promise.all([
      access.ask(A, 'ai.measures'),
      access.ask(A, 'ai.workCapacity'),
      access.ask(B, 'ai.file', ['ai.measures', 'ai.workCapacity']),
      access.ask(C, 'ai.file', ['ai.measures', 'ai.workCapacity']),
    ]);
    for (const avs of [A, B, C]) expect(access.known(avs, 'ai.measures'), avs).toMatchObject({ allowed: true, legalBasis: 'LAI art. 68bis' });
    expect(access.known(A, 'ai.workCapacity')).toMatchObject({ allowed: false, reason: 'NO_CONSENT' });
    expect(access.known(B, 'ai.workCapacity')).toMatchObject({ allowed: true, consentId: expect.any(String) });
    expect(access.known(C, 'ai.workCapacity')).toMatchObject({ allowed: false, reason: 'NO_CONSENT' });

    expect(await log.verify()).toMatchObject({ ok: true, records: 1 });
    expect(log.all().map((e) => `${e.avs} ${e.category} ${e.decision}`).sort()).toEqual(
      [
        `${A} ai.measures ALLOWED`,
        `${A} ai.workCapacity DENIED`,
        `${B} ai.file ALLOWED`,
        `${B} ai.measures ALLOWED`,
        `${B} ai.workCapacity ALLOWED`,
        `${C} ai.file ALLOWED`,
        `${C} ai.measures ALLOWED`,
        `${C} ai.workCapacity DENIED`,
      ].sort(),
    );
  });

  it('decides nothing under a denied field', async () => {
    const { access, log } = await setUp();
    // ai.medical never leaves the AI: what is under it is neither decided nor journaled.
    const outcomes = await Promise.all([B, C].map((avs) => access.ask(avs, 'ai.medical', ['ai.measures'])));
    expect(outcomes.map((d) => d.allowed)).toEqual([false, false]);
    expect(access.known(B, 'ai.measures')).toBeUndefined();
    expect(log.all().map((e) => `${e.avs} ${e.category} ${e.reason}`).sort()).toEqual([`${B} ai.medical NEVER`, `${C} ai.medical NEVER`].sort());
  });

  it('answers a later ask from what was decided, without deciding or journaling it again', async () => {
    const { access, log } = await setUp();
    await access.ask(B, 'ai.file', ['ai.workCapacity']);
    expect(await access.released(B, ['ai.workCapacity', 'ai.medical'])).toEqual(['ai.workCapacity']);
    await access.ask(B, 'ai.workCapacity');
    const entries = log.all().map((e) => e.category);
    expect(entries.sort()).toEqual(['ai.file', 'ai.medical', 'ai.workCapacity']);
  });
});
