// The gateway tells each subgraph how many calls its plan makes to it, so that a subgraph
// called once keeps nothing for a second call. The count must never be low: a subgraph told
// "once" that is called twice decides (and journals) again instead of reusing.
import { readFileSync } from 'node:fs';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fetchesPerSubgraph } from '../gateway/plan-fetches.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';

const supergraph = Supergraph.build(readFileSync(SUPERGRAPH_PATH, 'utf8'));
const planner = new QueryPlanner(supergraph);
const planOf = (query: string) => planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(query)));

describe('fetchesPerSubgraph', () => {
  it("counts one call per subgraph for a person's situation (its root field, then one entity call each)", () => {
    const plan = planOf(`query { person(avs: "756.1234.5678.97") { avs unemployment { office } disability { status } } }`);
    const fetches = fetchesPerSubgraph(plan);
    expect(fetches.get('unemployment')).toBe(1);
    expect(fetches.get('disability')).toBe(1);
    expect(fetches.has('supplementary-benefits')).toBe(false);
    expect([...fetches.values()].reduce((a, b) => a + b)).toBeGreaterThanOrEqual(3);
    // Plans are cached by the gateway, and so is their count.
    expect(fetchesPerSubgraph(plan)).toBe(fetches);
  });

  it('counts a subgraph once per call when the plan calls it more than once', () => {
    const fetches = fetchesPerSubgraph({
      node: {
        kind: 'Sequence',
        nodes: [
          { kind: 'Fetch', serviceName: 'consent' },
          { kind: 'Flatten', node: { kind: 'Fetch', serviceName: 'unemployment' } },
          { kind: 'Parallel', nodes: [{ kind: 'Flatten', node: { kind: 'Fetch', serviceName: 'unemployment' } }, { kind: 'Fetch', serviceName: 'disability' }] },
        ],
      },
    });
    expect(Object.fromEntries(fetches)).toEqual({ consent: 1, unemployment: 2, disability: 1 });
  });

  it('counts both branches of a condition and the deferred parts: an upper bound', () => {
    const fetches = fetchesPerSubgraph({
      node: {
        kind: 'Defer',
        primary: { node: { kind: 'Fetch', serviceName: 'consent' } },
        deferred: [{ node: { kind: 'Condition', ifClause: { kind: 'Fetch', serviceName: 'disability' }, elseClause: { kind: 'Fetch', serviceName: 'disability' } } }],
      },
    });
    expect(Object.fromEntries(fetches)).toEqual({ consent: 1, disability: 2 });
  });
});
