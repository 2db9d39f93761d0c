// The production bench's verdicts (issue 24's targets) are read from its measurements as
// CPU per request of ciigraph's own processes, against fixed limits and the peer stack.
import { describe, expect, it } from 'vitest';
import { evaluateTargets, ownCpuMs, renderProductionReport, type ProductionResults, type StackMeasure } from '../bench/lib/production-report.ts';

const stack = (id: 'ciigraph' | 'peer' | 'before', cpu: Record<string, number>, calls = 1): StackMeasure => ({
  stack: id, requests: 1000, seconds: 10, reqPerSec: 100, p50Ms: 10, p99Ms: 30, errors: 0,
  processes: [...Object.entries(cpu).map(([name, ms]) => ({ name, own: true, cpuMsPerRequest: ms })), { name: 'mocks', own: false, cpuMsPerRequest: 50 }],
  registryCallsPerRequest: { unemployment: calls, disability: calls },
});

const results = (q1: StackMeasure[], over: Partial<ProductionResults> = {}): ProductionResults => ({
  at: '2026-12-05T15:00:00Z', commit: 'abc', cpus: 2, node: 'v20', store: 'redis', durationS: 30, wallSeconds: 420,
  scenarios: [{ scenario: 'Q1', title: 'the painter', persons: 1, stacks: q1 }], heaps: [{ name: 'gateway', samplesMiB: [60, 60.5], slopeMiBPerMin: 0.5 }], ...over,
});

describe('the production bench targets', () => {
  it('count ciigraph\'s own processes only, not the mocks', () => {
    expect(ownCpuMs(stack('ciigraph', { gateway: 3, unemployment: 4 }))).toBe(7);
  });

  it('pass a stack within 10 ms on Q1 and twice the peer, one registry call, a flat heap, in 10 minutes', () => {
    const verdicts = evaluateTargets(results([stack('ciigraph', { gateway: 3, unemployment: 4 }), stack('peer', { gateway: 2, unemployment: 2 })]));
    expect(verdicts.every((t) => t.pass)).toBe(true);
    expect(verdicts.map((t) => t.title)).toContain('Q1: ≤ 2× the peer stack\'s CPU per request');
  });

  it('fail each limit it exceeds, saying by how much', () => {
    const verdicts = evaluateTargets(results([stack('ciigraph', { gateway: 6, unemployment: 6 }, 1.5), stack('peer', { gateway: 2, unemployment: 2 })], { wallSeconds: 700, heaps: [{ name: 'gateway', samplesMiB: [60, 70], slopeMiBPerMin: 10 }] }));
    const failed = verdicts.filter((t) => !t.pass).map((t) => `${t.title}: ${t.detail}`);
    expect(failed).toEqual([
      "Q1: ciigraph's processes ≤ 10 ms CPU per request: 12.0 ms",
      "Q1: ≤ 2× the peer stack's CPU per request: 12.0 ÷ 4.0 ms = 3.00×",
      'Q1: at most one registry call per subgraph per request: unemployment 1.50, disability 1.50',
      'gateway: heap flat over the memory run (≤ 2 MiB/min after GC): 10.00 MiB/min (60.0, 70.0 MiB)',
      'the whole bench within 10 minutes: 700 s',
    ]);
    expect(renderProductionReport(results([stack('ciigraph', { gateway: 16 })]))).toContain("**FAIL** Q1: ciigraph's processes");
  });

  it('with --compare, read the before stack against ciigraph as after ÷ before, and not as a target', () => {
    const r = results([stack('ciigraph', { gateway: 3, unemployment: 3 }), stack('before', { gateway: 3, unemployment: 6 }), stack('peer', { gateway: 2, unemployment: 2 })], { before: { rev: 'HEAD~1', sha: 'def', subject: 'x' } });
    const report = renderProductionReport(r);
    expect(report).toContain('| before (def) |');
    expect(report).toContain('Change (def → abc): own CPU per request 0.67× (9.00 → 6.00 ms; gateway 1.00×, unemployment 0.50×)');
    expect(evaluateTargets(r).filter((t) => t.title.startsWith('Q1: ciigraph')).map((t) => t.detail)).toEqual(['6.0 ms']);
  });
});
