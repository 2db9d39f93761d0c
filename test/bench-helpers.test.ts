// The benchmark's helpers (bench/): the in-process schema is the supergraph's API schema,
// the statistics and the report's History survive a rewrite. No timings are asserted here.
import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { buildASTSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { inProcessSchemaDocument } from '../bench/in-process-schema.ts';
import { SUPERGRAPH_PATH } from '../schema/compose.ts';
import { linearFit, percentile } from '../bench/lib/stats.ts';
import { readHistory } from '../bench/lib/report.ts';
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
  });
});

describe('bench: heap floor', () => {
  it('finds the local minima of a saw-tooth', async () => {
    const { troughs } = await import('../bench/lib/stats.ts');
    const saw = [10, 20, 30, 12, 22, 32, 14, 24].map((y, t) => ({ t, y }));
    expect(troughs(saw).map((p) => p.y)).toEqual([12, 14]);
  });
});
