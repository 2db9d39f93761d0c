// A caseload of 200 persons costs one registry call per subgraph, not 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ean13CheckDigit, formatAvs } from '../lib/avs.ts';
import { CASELOAD } from './support/queries.ts';
import { seedConsent } from './support/consents.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const caseload = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const first12 = `756${String(100_000_000 + i * 4_999).padStart(9, '0')}`;
    return formatAvs(`${first12}${ean13CheckDigit(first12)}`);
  });

let stack: TestStack;
// A social worker's caseload: each person an open case of social assistance, each with a consent
// naming AS for their supplementary benefits. AC and AI files are released by law (LACI art. 85f,
// LAI art. 68bis), AS by mandate, PC by consent, so every registry is asked.
const headers = () => stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii' });
beforeAll(async () => {
  stack = await startTestStack();
  for (const [i, avs] of caseload(200).entries()) {
    await stack.cases.openCase({ avs, institution: 'AS', caseReference: `HG-BATCH-${i}`, on: '2026-11-01' });
    await seedConsent(stack.consents, { avs, recipients: ['AS'], categories: ['pc.entitlement', 'pc.hypotheticalIncome'], purpose: 'cii' });
  }
});
afterAll(async () => stack?.close());

describe('registry batching', () => {
  it('answers a caseload of 200 with one lookup call per registry', async () => {
    const avs = caseload(200);
    stack.mocks!.resetCounters();
    const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs }, headers());
    // Only what no consent or law releases to the social worker in a caseload is denied: the AI's
    // decision (LPGA art. 32 needs a named case), work capacity (a consent naming AS) and medical file...
    const denied = new Set(body.errors?.map((e: { extensions?: { code?: string; category?: string } }) => `${e.extensions?.code} ${e.extensions?.category}`));
    expect(denied).toEqual(new Set(['FORBIDDEN ai.decision', 'FORBIDDEN ai.workCapacity', 'FORBIDDEN ai.medical']));
    // ...and no registry was asked for them.
    expect(stack.mocks!.lookups.some((l) => l.registry === 'disability' && (l.sections.includes('decision') || l.sections.includes('medical')))).toBe(false);
    expect(body.data.persons).toHaveLength(200);
    expect(stack.mocks!.calls).toEqual({ unemployment: 1, disability: 1, 'social-assistance': 1, 'supplementary-benefits': 1 });
    // ...and that one call asked for all 200 persons.
    const asked = stack.mocks!.lookups.filter((l) => l.registry === 'unemployment').map((l) => l.avs);
    expect(new Set(asked)).toEqual(new Set(avs));
    // Sanity: the generator spreads files over the caseload, so batching is not vacuous.
    const withFile = body.data.persons.filter((p: { unemployment: unknown }) => p.unemployment !== null).length;
    expect(withFile).toBeGreaterThan(20);
    expect(withFile).toBeLessThan(200);
  });

  it('asks once for a person requested twice', async () => {
    stack.mocks!.resetCounters();
    const [a] = caseload(1);
    await gql(stack.gatewayUrl, CASELOAD, { avs: [a, a, a] }, headers());
    expect(stack.mocks!.lookups.filter((l) => l.registry === 'disability')).toHaveLength(1);
  });
});
