// A caseload of 200 persons costs one registry call per subgraph, not 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ean13CheckDigit, formatAvs } from '../lib/avs.ts';
import type { Stack } from '../bin/stack.ts';
import { CASELOAD } from './support/queries.ts';
import { gql, startTestStack } from './support/stack.ts';

const caseload = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const first12 = `756${String(100_000_000 + i * 4_999).padStart(9, '0')}`;
    return formatAvs(`${first12}${ean13CheckDigit(first12)}`);
  });

let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

describe('registry batching', () => {
  it('answers a caseload of 200 with one lookup call per registry', async () => {
    const avs = caseload(200);
    stack.mocks!.resetCounters();
    const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs });
    expect(body.errors).toBeUndefined();
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
    await gql(stack.gatewayUrl, CASELOAD, { avs: [a, a, a] });
    expect(stack.mocks!.lookups.filter((l) => l.registry === 'disability')).toHaveLength(1);
  });
});
