// The production bench's results, its targets (issue 24) and its Markdown report: pure
// functions of the measurements, tested on their own.

/** ciigraph (this working tree), the peer stack, and with --compare ciigraph as another commit built it. */
export type StackId = 'ciigraph' | 'peer' | 'before';

/** One process of a stack, as measured during one scenario. */
export interface ProcessMeasure {
  name: string;
  /** ciigraph's own code (gateway, subgraphs), not the mocks or Redis. */
  own: boolean;
  cpuMsPerRequest: number;
}

export interface StackMeasure {
  stack: StackId;
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  processes: ProcessMeasure[];
  /** Registry calls per request, per registry (ciigraph's). */
  registryCallsPerRequest: Record<string, number>;
}

export interface ScenarioMeasure {
  scenario: string;
  title: string;
  persons: number;
  stacks: StackMeasure[];
}

export interface HeapSeries {
  name: string;
  /** MiB after a full GC, sampled over the memory run. */
  samplesMiB: number[];
  slopeMiBPerMin: number;
}

export interface ProductionResults {
  at: string;
  commit: string;
  cpus: number;
  node: string;
  store: 'redis' | 'memory';
  /** How the bench's Redis fsynced (absent: everysec, before issue 20). */
  appendfsync?: 'everysec' | 'always';
  /** --compare: the commit measured as the "before" stack. */
  before?: { rev: string; sha: string; subject: string };
  durationS: number;
  wallSeconds: number;
  scenarios: ScenarioMeasure[];
  heaps: HeapSeries[];
}

export interface Target {
  title: string;
  pass: boolean;
  detail: string;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

/** CPU per request of a stack's own processes (ciigraph: gateway and subgraphs; peer: its gateway and subgraphs). */
export const ownCpuMs = (s: StackMeasure): number => sum(s.processes.filter((p) => p.own).map((p) => p.cpuMsPerRequest));

/** Issue 24's limits, per scenario: CPU per request of ciigraph's own processes. */
export const CPU_LIMIT_MS: Record<string, number> = { Q1: 10, 'Q2-200': 60 };
export const PEER_FACTOR_LIMIT = 2;
export const HEAP_SLOPE_LIMIT_MIB_PER_MIN = 2;

export function evaluateTargets(r: ProductionResults): Target[] {
  const targets: Target[] = [];
  for (const s of r.scenarios) {
    const own = s.stacks.find((x) => x.stack === 'ciigraph');
    const peer = s.stacks.find((x) => x.stack === 'peer');
    if (!own) continue;
    const limit = CPU_LIMIT_MS[s.scenario];
    if (limit !== undefined) {
      targets.push({ title: `${s.scenario}: ciigraph's processes ≤ ${limit} ms CPU per request`, pass: ownCpuMs(own) <= limit, detail: `${fmt(ownCpuMs(own))} ms` });
      if (peer) {
        const ratio = ownCpuMs(own) / ownCpuMs(peer);
        targets.push({ title: `${s.scenario}: ≤ ${PEER_FACTOR_LIMIT}× the peer stack's CPU per request`, pass: ratio <= PEER_FACTOR_LIMIT, detail: `${fmt(ownCpuMs(own))} ÷ ${fmt(ownCpuMs(peer))} ms = ${fmt(ratio, 2)}×` });
      }
    }
    const calls = Object.entries(own.registryCallsPerRequest);
    if (calls.length) {
      targets.push({
        title: `${s.scenario}: at most one registry call per subgraph per request`,
        pass: calls.every(([, n]) => n <= 1.0001),
        detail: calls.map(([r, n]) => `${r} ${fmt(n, 2)}`).join(', '),
      });
    }
    if (own.errors > 0) targets.push({ title: `${s.scenario}: no failed request`, pass: false, detail: `${own.errors} failed` });
  }
  for (const h of r.heaps) {
    targets.push({ title: `${h.name}: heap flat over the memory run (≤ ${HEAP_SLOPE_LIMIT_MIB_PER_MIN} MiB/min after GC)`, pass: h.slopeMiBPerMin <= HEAP_SLOPE_LIMIT_MIB_PER_MIN, detail: `${fmt(h.slopeMiBPerMin, 2)} MiB/min (${h.samplesMiB.map((m) => fmt(m)).join(', ')} MiB)` });
  }
  targets.push({ title: 'the whole bench within 10 minutes', pass: r.wallSeconds <= 600, detail: `${Math.round(r.wallSeconds)} s` });
  return targets;
}

export function renderProductionReport(r: ProductionResults): string {
  const out: string[] = [
    '# Benchmark: the production topology beside a peer stack',
    '',
    `${r.at}, commit \`${r.commit}\`, ${r.cpus} CPUs, Node ${r.node}; store ${r.store}${r.store === 'redis' ? ` (AOF ${r.appendfsync ?? 'everysec'}${r.appendfsync === 'always' ? ', appends acknowledged once on disk' : ''})` : ''}; ${r.durationS} s per stack and scenario. Written by \`npm run bench\` (bench/production.ts); what it measures: bench/README.md.`,
    '',
    '## Targets (issue 24)',
    '',
    ...evaluateTargets(r).map((t) => `- ${t.pass ? 'PASS' : '**FAIL**'} ${t.title}: ${t.detail}`),
  ];
  for (const s of r.scenarios) {
    out.push('', `## ${s.scenario}: ${s.title}`, '', '| stack | req/s | p50 ms | p99 ms | own CPU ms/req | per process (CPU ms/req) |', '| --- | ---: | ---: | ---: | ---: | --- |');
    for (const x of s.stacks) {
      out.push(`| ${x.stack === 'before' ? `before (${r.before?.sha ?? '?'})` : x.stack} | ${fmt(x.reqPerSec)} | ${fmt(x.p50Ms)} | ${fmt(x.p99Ms)} | ${fmt(ownCpuMs(x), 2)} | ${x.processes.map((p) => `${p.name} ${fmt(p.cpuMsPerRequest, 2)}`).join(', ')} |`);
    }
    const before = s.stacks.find((x) => x.stack === 'before');
    const after = s.stacks.find((x) => x.stack === 'ciigraph');
    if (before && after) out.push('', `Change (${r.before?.sha ?? 'before'} → ${r.commit}): ${changeLine(after, before)}.`);
  }
  return `${out.join('\n')}\n`;
}

/** After ÷ before of one scenario: own CPU per request (and per process), req/s, p99. */
export function changeLine(after: StackMeasure, before: StackMeasure): string {
  const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`;
  const perProcess = after.processes
    .filter((p) => p.own)
    .map((p) => {
      const b = before.processes.find((q) => q.name === p.name);
      return b ? `${p.name} ${ratio(p.cpuMsPerRequest, b.cpuMsPerRequest)}` : undefined;
    })
    .filter(Boolean)
    .join(', ');
  return `own CPU per request ${ratio(ownCpuMs(after), ownCpuMs(before))} (${fmt(ownCpuMs(before), 2)} → ${fmt(ownCpuMs(after), 2)} ms; ${perProcess}), req/s ${ratio(after.reqPerSec, before.reqPerSec)}, p99 ${ratio(after.p99Ms, before.p99Ms)}`;
}
