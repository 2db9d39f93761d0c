// The benchmark's helpers (bench/): the in-process schema is the supergraph's API schema,
// the statistics and the report's History survive a rewrite. No timings are asserted here.
import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { buildASTSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { inProcessSchemaDocument } from '../bench/in-process-schema.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';
import { linearFit, pairedOverhead, percentile } from '../bench/lib/stats.ts';
import { afterVsBefore, changeSummary, evaluateTargets, historyRow, policyOverheadRead, readHistory, renderReport } from '../bench/lib/report.ts';
import type { BenchResults, ScenarioResult, VariantId, VariantResult } from '../bench/lib/types.ts';
import { packageOf } from '../bench/lib/cpuprofile.ts';
import { parseArgs } from '../bench/lib/args.ts';

describe('bench: in-process schema', () => {
  it('is the supergraph API schema (same types, fields and arguments)', () => {
    const api = Supergraph.build(readFileSync(SUPERGRAPH_PATH, 'utf8')).apiSchema().toGraphQLJSSchema();
    const ours = buildASTSchema(inProcessSchemaDocument());
    // Directive definitions aside (ours declares @category/@permission to keep the annotations).
    const strip = (sdl: string) => sdl.replace(/^directive @(category|permission)[^\n]*\n\n?/gm, '');
    const printed = strip(printSchema(lexicographicSortSchema(ours)));
    expect(printed).toContain('supplementaryBenefits: SupplementaryBenefitsFile');
    expect(printed).toBe(strip(printSchema(lexicographicSortSchema(api))));
  });
});

describe('bench: statistics', () => {
  it('percentiles interpolate between ranks', () => {
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10], 99)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });
  it('fits a line', () => {
    const fit = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })));
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.r2).toBeCloseTo(1);
    expect(linearFit([{ x: 1, y: 1 }]).slope).toBeNaN();
  });
});

describe('bench: policy overhead over paired parts', () => {
  it("is 1 − on ÷ off per pair of adjacent parts, summarised by the median and quartiles", () => {
    const p = pairedOverhead([90, 95, 100, 40, 92], [100, 100, 100, 100, 100])!;
    expect(p.pairs).toBe(5);
    expect(p.median).toBeCloseTo(0.08);
    expect(p.q1).toBeCloseTo(0.05);
    expect(p.q3).toBeCloseTo(0.1);
    // One part hit by a burst of other work (40) moves the median little, the pooled ratio much.
    expect(1 - (90 + 95 + 100 + 40 + 92) / 500).toBeCloseTo(0.166);
    expect(pairedOverhead([], [])).toBeUndefined();
  });

  it('is what the target reads once there are enough pairs; with fewer, all requests pooled', () => {
    const s = (pairs: number): ScenarioResult => ({
      scenario: 'Q1', title: 'Q1', latencyMs: 0, connections: 1, persons: 1, variants: [], sameData: true, loadAvg1: 1,
      ratios: { policyOverhead: 0.14, policyOverheadPaired: { median: 0.06, q1: 0.03, q3: 0.09, pairs } },
    });
    expect(policyOverheadRead(s(10))).toBe(0.06);
    expect(policyOverheadRead(s(2))).toBe(0.14);
    const verdict = (pairs: number) => evaluateTargets({ scenarios: [s(pairs)] } as never).find((t) => t.id === 'policy-overhead')!;
    expect(verdict(10).pass).toBe(true);
    expect(verdict(10).detail).toContain('all requests pooled 14.0 %');
    expect(verdict(2).pass).toBe(false);
  });
});

describe('bench: report', () => {
  it('keeps the History rows of a previous report', () => {
    const previous = [
      '# Benchmark report',
      '<!-- history:start (rows are kept across runs; edit freely) -->',
      '| date (UTC) | commit | label |',
      '| --- | --- | --- |',
      '| 2026-11-22 10:00 | `abc1234` | before |',
      '| 2026-11-22 11:00 | `def5678` | after |',
      '<!-- history:end -->',
    ].join('\n');
    expect(readHistory(previous)).toEqual(['| 2026-11-22 10:00 | `abc1234` | before |', '| 2026-11-22 11:00 | `def5678` | after |']);
    expect(readHistory(undefined)).toEqual([]);
    expect(readHistory('no markers')).toEqual([]);
  });
  it('names where a profiled function lives', () => {
    expect(packageOf('file:///x/node_modules/@apollo/gateway/dist/index.js', 'f')).toBe('@apollo/gateway');
    expect(packageOf('file:///x/node_modules/graphql/execution/execute.js', 'f')).toBe('graphql');
    expect(packageOf('node:internal/http/server', 'f')).toBe('node:internal/http');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(packageOf('file:///repo/subgraphs/shared/server.ts', 'f', 'file:///repo/')).toBe('project:subgraphs/shared/server.ts');
    expect(packageOf('file:///repo/gateway/authenticate.ts', 'f', 'file:///repo/')).toBe('project:gateway/authenticate.ts');
  });
  it('parses the command line', () => {
    expect(parseArgs(['--quick']).measureS).toBeLessThan(parseArgs([]).measureS);
    expect(parseArgs(['--label', 'plan cache', '--latencies', '0']).latencies).toEqual([0]);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option/);
    expect(parseArgs(['--compare', 'HEAD~1', '--quick']).compare).toBe('HEAD~1');
    expect(parseArgs([]).compare).toBeUndefined();
    expect(parseArgs([]).twin).toBe(true);
    expect(parseArgs(['--separate']).twin).toBe(false);
    expect(parseArgs(['--store', 'redis']).appendfsync).toBe('everysec');
    expect(parseArgs(['--store', 'redis', '--appendfsync', 'always']).appendfsync).toBe('always');
    expect(() => parseArgs(['--appendfsync', 'no'])).toThrow(/everysec or always/);
    expect(parseArgs(['--quick']).warmupStartS).toBe(0);
    expect(parseArgs(['--warmup-start', '2']).warmupStartS).toBe(2);
    expect(() => parseArgs(['--compare'])).toThrow(/git revision/);
    expect(() => parseArgs(['--compare', '--quick'])).toThrow(/git revision/);
    expect(() => parseArgs(['--compare', 'HEAD', '--profile'])).toThrow(/--profile/);
  });
});

describe('bench: heap floor', () => {
  it('finds the local minima of a saw-tooth', async () => {
    const { troughs } = await import('../bench/lib/stats.ts');
    const saw = [10, 20, 30, 12, 22, 32, 14, 24].map((y, t) => ({ t, y }));
    expect(troughs(saw).map((p) => p.y)).toEqual([12, 14]);
  });
});

describe('bench: before/after (--compare)', () => {
  const calls = { unemployment: 1, disability: 1, 'social-assistance': 1, 'supplementary-benefits': 1 };
  const measured = (id: VariantId, reqPerSec: number, cpuTotal: number, p99: number): VariantResult => ({
    variant: id, reqPerSec, completed: 100, sent: 100, seconds: 2, segmentsReqPerSec: [reqPerSec],
    latencyMs: { p50: p99 / 2, p90: p99, p99, max: p99, mean: p99 / 2 }, autocannonLatencyMs: { p50: 1, p99: 1 },
    errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0, callsPerRequest: calls, callsPerRequestUnderLoad: calls,
    cpuMsPerRequest: { front: cpuTotal / 2, total: cpuTotal }, peakRssMiB: 200, backendPeakRssMiB: 300,
    check: { status: 200, errors: [], bytes: 1, nullFiles: 0 },
  });
  const scenario = (id: string, variants: VariantResult[]): ScenarioResult => {
    const s: ScenarioResult = { scenario: id, title: id, latencyMs: 0, connections: 1, persons: 1, variants, sameData: true, loadAvg1: 1, ratios: {} };
    const change = afterVsBefore(s);
    if (change) s.ratios.afterVsBefore = change;
    return s;
  };
  const results = (compared: boolean): BenchResults => ({
    version: 1, startedAt: '2026-11-30T12:00:00.000Z', finishedAt: '2026-11-30T12:01:00.000Z', commit: 'def5678+dirty', label: 'cache', mode: 'quick',
    settings: { latencies: [0], warmupS: 0.5, measureS: 2, rounds: 1, memoryS: 0, embedded: false },
    machine: { nproc: 2, cpuModel: 'x', totalMemGiB: 1, node: 'v20', platform: 'linux', loadAvgStart: [1, 1, 1], loadAvgEnd: [1, 1, 1] },
    ...(compared ? { compare: { rev: 'HEAD~1', sha: 'abc1234', subject: 'the change before', sameDependencies: true } } : {}),
    scenarios: [
      scenario('Q1', [measured('on', 110, 9, 90), measured('off', 120, 8, 80), measured('in-process', 300, 3, 30), ...(compared ? [measured('before', 100, 10, 100)] : [])]),
      scenario('Q2-200', [measured('on', 10, 75, 300), measured('off', 12, 60, 250), measured('in-process', 30, 20, 100), ...(compared ? [measured('before', 8, 100, 400)] : [])]),
    ],
    childPeaks: {}, targets: [],
  });

  it('is after (on) ÷ before', () => {
    const q1 = results(true).scenarios[0]!;
    expect(q1.ratios.afterVsBefore?.reqPerSec).toBeCloseTo(1.1);
    expect(q1.ratios.afterVsBefore?.cpuMsPerRequest).toBeCloseTo(0.9);
    expect(q1.ratios.afterVsBefore?.p99).toBeCloseTo(0.9);
    expect(results(false).scenarios[0]!.ratios.afterVsBefore).toBeUndefined();
  });
  it('is named in the History label, older rows untouched', () => {
    expect(changeSummary(results(true))).toBe('vs `abc1234`: Q1 CPU/request −10.0 %, Q2-200 −25.0 %');
    expect(historyRow(results(true))).toContain('| cache; vs `abc1234`: Q1 CPU/request −10.0 %, Q2-200 −25.0 % |');
    expect(historyRow(results(false))).toContain('| cache |');
    const old = '| 2026-11-22 10:00 | `abc1234` | before |';
    const report = renderReport(results(true), [old, historyRow(results(true))]);
    expect(readHistory(report)[0]).toBe(old);
    expect(readHistory(report)).toHaveLength(2);
  });
  it('adds the before rows, a change line and a Before/after section only when compared', () => {
    const report = renderReport(results(true), []);
    expect(report).toContain('| before (`abc1234`): gateway + subgraphs, enforcement on | **100.0** |');
    expect(report).toContain('**change**, after ÷ before (`abc1234`): req/s **1.10×** · CPU ms/request (total) **0.90×** · p99 **0.90×**');
    expect(report).toContain('## Before/after (`abc1234` → `def5678+dirty`)');
    expect(report).toContain('| Q2-200 | 0 ms | 8.0 → 10.0 | **1.25×** | 100.00 → 75.00 | **0.75×** | 400.00 → 300.00 | **0.75×** |');
    expect(report).toContain('`npm run bench -- --quick --compare HEAD~1`');
    expect(report).toContain('round(s) of on, off, in-process, before, …, before, in-process, off, on');
    const plain = renderReport(results(false), []);
    expect(plain).not.toMatch(/before \(`|\*\*change\*\*|Before\/after \(/);
    expect(plain).toContain('round(s) of on, off, in-process, …, in-process, off, on');
  });
});
