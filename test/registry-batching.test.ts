// A caseload of 200 persons costs one registry call per subgraph, not 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ean13CheckDigit, formatAvs } from '../lib/avs.ts';
import { CASELOAD } from './support/queries.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const caseload = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const first12 = `756${String(100_000_000 + i * 4_999).padStart(9, '0')}`;
    return formatAvs(`${first12}${ean13CheckDigit(first12)}`);
  });

let stack: TestStack;
// An AI case manager in an individual case: the four files' first categories are released to
// the AI by law (LPGA art. 32, LAI art. 68bis), so every registry is asked.
const headers = () => stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0001' });
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

describe('registry batching', () => {
  it('answers a caseload of 200 with one lookup call per registry', async () => {
    const avs = caseload(200);
    stack.mocks!.resetCounters();
    const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs }, headers());
    // Without consents, only the categories the AI may read by consent alone are denied...
    const denied = new Set(body.errors?.map((e: { extensions?: { code?: string; category?: string } }) => `${e.extensions?.code} ${e.extensions?.category}`));
    expect(denied).toEqual(new Set(['FORBIDDEN ac.entitlement', 'FORBIDDEN as.benefits', 'FORBIDDEN as.situation']));
    // ...and no registry was asked for them.
    expect(stack.mocks!.lookups.some((l) => l.registry === 'unemployment' && l.sections.includes('entitlement'))).toBe(false);
    expect(stack.mocks!.lookups.some((l) => l.registry === 'social-assistance' && l.sections.includes('benefits'))).toBe(false);
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
