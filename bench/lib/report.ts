// bench/REPORT.md: rendered from one run's results, plus the History section kept across runs.
import { REGISTRY_SUBGRAPHS } from '../../lib/config.ts';
import { round } from './stats.ts';
import { variantLabel, type BenchResults, type Calls, type Change, type ComparedRevision, type ScenarioResult, type TargetVerdict, type VariantResult } from './types.ts';

export const POLICY_OVERHEAD_LIMIT = 0.1;
export const P99_RATIO_LIMIT = 3;
/**
 * Growth: the gateway's heap after a forced full GC rising faster than this over the memory
 * run (after warm-up). RSS is reported too, but V8 grows its heap reservation for a while
 * before it settles, so RSS alone would call that growth.
 */
export const MEMORY_SLOPE_LIMIT_MIB_PER_MIN = 2;

const HISTORY_START = '<!-- history:start (rows are kept across runs; edit freely) -->';
const HISTORY_END = '<!-- history:end -->';
const HISTORY_HEADER = [
  '| date (UTC) | commit | label | mode | Q1 req/s on · off · in-process (0 ms) | Q1 p99 ms on · in-process (0 ms) | Q1 CPU ms/request on · off · in-process (0 ms) | policy overhead Q1 · Q2-50 · Q2-200 (0 ms) | policy overhead Q1 · Q2-50 · Q2-200 (5 ms) | Q2-200 req/s on (5 ms) | gateway peak RSS MiB | gateway RSS slope MiB/min | targets |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];

const SHORT: Record<string, string> = { unemployment: 'AC', disability: 'AI', 'social-assistance': 'AS', 'supplementary-benefits': 'PC' };

const f = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '–' : round(v, digits).toFixed(digits));
const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)} %`);
const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const calls = (c: Calls) => REGISTRY_SUBGRAPHS.map((r) => f(c[r], 2)).join(' / ');
/** A ratio as a change: 0.97 → "−3.0 %". */
const change = (ratio: number | undefined) =>
  ratio === undefined || !Number.isFinite(ratio) ? '–' : `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(1)} %`;

export function variant(s: ScenarioResult, id: VariantResult['variant']): VariantResult | undefined {
  return s.variants.find((v) => v.variant === id);
}

/** --compare: on (the working tree) ÷ before (the compared commit); undefined without a before. */
export function afterVsBefore(s: ScenarioResult): Change | undefined {
  const after = variant(s, 'on');
  const before = variant(s, 'before');
  if (!after || !before) return undefined;
  return {
    reqPerSec: after.reqPerSec / before.reqPerSec,
    cpuMsPerRequest: after.cpuMsPerRequest.total / before.cpuMsPerRequest.total,
    p99: after.latencyMs.p99 / before.latencyMs.p99,
  };
}

/** Pairs of adjacent on/off parts needed before their median is read instead of the pooled ratio. */
const MIN_PAIRS = 4;

/**
 * The policy overhead the target reads: the median over pairs of adjacent on/off parts when
 * there are enough of them (a burst of other work on this shared machine then spoils a pair,
 * not the figure), else all requests pooled. Both are in the report.
 */
export function policyOverheadRead(s: ScenarioResult): number | undefined {
  const p = s.ratios.policyOverheadPaired;
  return p && p.pairs >= MIN_PAIRS ? p.median : s.ratios.policyOverhead;
}

function overheadDetail(s: ScenarioResult): string {
  const p = s.ratios.policyOverheadPaired;
  const paired = p ? `median of ${p.pairs} paired parts ${pct(p.median)} (quartiles ${pct(p.q1)} … ${pct(p.q3)}); ` : '';
  return `${paired}all requests pooled ${pct(s.ratios.policyOverhead)}; CPU per request ${pct(s.ratios.policyCpuOverhead)}`;
}

export function evaluateTargets(r: Omit<BenchResults, 'targets'>): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const measured = r.scenarios.filter((s) => s.ratios.policyOverhead !== undefined);
  if (measured.length) {
    const bad = measured.filter((s) => policyOverheadRead(s)! > POLICY_OVERHEAD_LIMIT);
    out.push({
      id: 'policy-overhead',
      title: `Policy overhead ≤ ${POLICY_OVERHEAD_LIMIT * 100} % on Q1 and Q2 (1 − req/s on ÷ req/s off, median over pairs of adjacent parts)`,
      pass: bad.length === 0,
      detail: measured.map((s) => `${s.scenario} @ ${s.latencyMs} ms: **${pct(policyOverheadRead(s))}** (${overheadDetail(s)})`).join('; '),
    });
  }
  const q200 = r.scenarios.filter((s) => s.scenario === 'Q2-200' && variant(s, 'on'));
  if (q200.length) {
    const ok = q200.every((s) => REGISTRY_SUBGRAPHS.every((reg) => variant(s, 'on')!.callsPerRequest[reg] === 1));
    out.push({
      id: 'caseload-calls',
      title: 'A caseload of 200 costs 1 registry call per subgraph',
      pass: ok,
      detail: q200
        .map((s) => {
          const v = variant(s, 'on')!;
          return `@ ${s.latencyMs} ms: ${calls(v.callsPerRequest)} (AC/AI/AS/PC, quiet), ${calls(v.callsPerRequestUnderLoad)} under load`;
        })
        .join('; '),
    });
  }
  const q1 = r.scenarios.filter((s) => s.scenario === 'Q1' && s.ratios.p99VsInProcess !== undefined);
  if (q1.length) {
    out.push({
      id: 'p99-vs-in-process',
      title: `Gateway p99 on Q1 ≤ ${P99_RATIO_LIMIT}× the in-process schema's`,
      pass: q1.every((s) => s.ratios.p99VsInProcess! <= P99_RATIO_LIMIT),
      detail: q1
        .map((s) => `@ ${s.latencyMs} ms: ${f(variant(s, 'on')?.latencyMs.p99, 2)} ms vs ${f(variant(s, 'in-process')?.latencyMs.p99, 2)} ms = ${x(s.ratios.p99VsInProcess)}`)
        .join('; '),
    });
  }
  const gw = r.memory?.series.find((s) => s.process === 'gateway');
  if (r.memory && gw) {
    out.push({
      id: 'memory-growth',
      title: `No memory growth over a ${r.memory.seconds} s run of Q1 (gateway heap after a full GC rising ≤ ${MEMORY_SLOPE_LIMIT_MIB_PER_MIN} MiB/min after warm-up; RSS slope over the second half shown)`,
      pass: Number.isFinite(gw.heapFloorSlopeMiBPerMin) ? gw.heapFloorSlopeMiBPerMin <= MEMORY_SLOPE_LIMIT_MIB_PER_MIN : gw.slopeMiBPerMin <= MEMORY_SLOPE_LIMIT_MIB_PER_MIN,
      detail: `gateway heap floor slope ${f(gw.heapFloorSlopeMiBPerMin, 2)} MiB/min (${gw.heapFloorPoints} points, ${gw.heapFloorMethod}${gw.retainedHeapMiB?.length ? `: ${gw.retainedHeapMiB.map((p) => f(p.heapMiB)).join(', ')} MiB` : ''}); RSS ${f(gw.startMiB)} → ${f(gw.endMiB)} MiB (peak ${f(gw.peakMiB)}), RSS slope over the second half ${f(gw.slopeMiBPerMin, 2)} MiB/min (R² ${f(gw.r2, 2)})`,
    });
  }
  return out;
}

function scenarioTable(s: ScenarioResult, compared: ComparedRevision | undefined): string {
  const rows = s.variants.map((v) => {
    const errs = `${v.errors + v.timeouts} / ${v.non2xx} / ${v.graphqlErrors}`;
    const rss = v.backendPeakRssMiB !== undefined ? `${f(v.peakRssMiB, 0)} (+ ${f(v.backendPeakRssMiB, 0)} subgraphs)` : f(v.peakRssMiB, 0);
    const cpu = v.cpuMsPerRequest.total !== v.cpuMsPerRequest.front ? `${f(v.cpuMsPerRequest.front, 2)} · ${f(v.cpuMsPerRequest.total, 2)}` : f(v.cpuMsPerRequest.total, 2);
    return `| ${variantLabel(v.variant, compared)} | **${f(v.reqPerSec)}** | ${v.segmentsReqPerSec.map((r) => f(r, 0)).join(' · ')} | ${f(v.latencyMs.p50, 2)} | ${f(v.latencyMs.p99, 2)} | ${cpu} | ${errs} | ${calls(v.callsPerRequest)} | ${calls(v.callsPerRequestUnderLoad)} | ${rss} |`;
  });
  const r = s.ratios;
  const notes = [
    r.policyOverhead !== undefined ? `policy overhead **${pct(policyOverheadRead(s))}** (${overheadDetail(s)})` : undefined,
    r.embeddedPolicyOverhead !== undefined ? `embedded layout: ${pct(r.embeddedPolicyOverhead)}` : undefined,
    r.inProcessSpeedup !== undefined ? `in-process ÷ ciigraph req/s **${x(r.inProcessSpeedup)}** (÷ enforcement off ${x(r.inProcessSpeedupOverOff)}; CPU per request ciigraph ÷ in-process ${x(r.cpuVsInProcess)})` : undefined,
    r.p99VsInProcess !== undefined ? `p99 ciigraph ÷ in-process **${x(r.p99VsInProcess)}** (p50 ${x(r.p50VsInProcess)})` : undefined,
    s.sameData ? 'same data from every variant' : '**the variants did not return the same data** (see the JSON)',
  ].filter(Boolean);
  const c = r.afterVsBefore;
  const changeLine = c
    ? [`**change**, after ÷ before (\`${compared?.sha ?? '?'}\`): req/s **${x(c.reqPerSec)}** · CPU ms/request (total) **${x(c.cpuMsPerRequest)}** · p99 **${x(c.p99)}**`, '']
    : [];
  return [
    `#### ${s.scenario} @ ${s.latencyMs} ms registry latency: ${s.title}, ${s.connections} connections (load average ${s.loadAvg1})`,
    '',
    '| variant | req/s | parts | p50 ms | p99 ms | CPU ms/request front · total | errors / non-2xx / GraphQL errors | registry calls per request AC / AI / AS / PC (quiet) | (under load) | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    notes.join(' · '),
    '',
    ...changeLine,
  ].join('\n');
}

function ratioTable(r: BenchResults): string {
  return [
    '| scenario | registry latency | policy overhead, req/s (split) | policy overhead, CPU per request (split) | policy overhead, req/s (embedded) | req/s in-process ÷ ciigraph | req/s in-process ÷ enforcement off | CPU per request ciigraph ÷ in-process | p99 ciigraph ÷ in-process |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.scenarios.map(
      (s) =>
        `| ${s.scenario} | ${s.latencyMs} ms | ${pct(s.ratios.policyOverhead)} | ${pct(s.ratios.policyCpuOverhead)} | ${pct(s.ratios.embeddedPolicyOverhead)} | ${x(s.ratios.inProcessSpeedup)} | ${x(s.ratios.inProcessSpeedupOverOff)} | ${x(s.ratios.cpuVsInProcess)} | ${x(s.ratios.p99VsInProcess)} |`,
    ),
  ].join('\n');
}

function beforeAfterSection(r: BenchResults, compared: ComparedRevision): string {
  const cell = (before: number | undefined, after: number | undefined, digits: number) => `${f(before, digits)} → ${f(after, digits)}`;
  return [
    `## Before/after (\`${compared.sha}\` → \`${r.commit}\`)`,
    '',
    `Before: \`${compared.sha}\` ("${compared.subject}", \`--compare ${compared.rev}\`); after: the working tree at \`${r.commit}\`. Both are the split stack with enforcement on, measured in the same interleaved rounds against the same mocks process. after ÷ before: below 1× is better for CPU and p99, above 1× for req/s.`,
    '',
    '| scenario | registry latency | req/s before → after | after ÷ before | CPU ms/request (total) before → after | after ÷ before | p99 ms before → after | after ÷ before |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.scenarios.map((s) => {
      const before = variant(s, 'before');
      const after = variant(s, 'on');
      const c = s.ratios.afterVsBefore;
      return `| ${s.scenario} | ${s.latencyMs} ms | ${cell(before?.reqPerSec, after?.reqPerSec, 1)} | **${x(c?.reqPerSec)}** | ${cell(before?.cpuMsPerRequest.total, after?.cpuMsPerRequest.total, 2)} | **${x(c?.cpuMsPerRequest)}** | ${cell(before?.latencyMs.p99, after?.latencyMs.p99, 2)} | **${x(c?.p99)}** |`;
    }),
    '',
  ].join('\n');
}

function memorySection(r: BenchResults): string {
  const m = r.memory;
  if (!m) return '_Skipped (--memory 0)._\n';
  return [
    `Q1 at ${m.latencyMs} ms registry latency, ${m.connections} connections, ${m.seconds} s, ${m.requests} requests (${f(m.reqPerSec)} req/s), split layout with enforcement on; RSS (\`/proc\`) and V8 heap used (\`process.memoryUsage()\`, asked over the child's stdin) sampled every second. RSS slope: least-squares line over the second half (after warm-up). Heap floor: least-squares line, after the first quarter, through the gateway's heap after a forced full GC (every 10 s; children run with \`--expose-gc\`), and through the local minima of the others' heap; garbage awaiting collection does not raise it, a leak does.`,
    ...(m.series[0]?.retainedHeapMiB?.length ? ['', `Gateway heap after a full GC: ${m.series[0].retainedHeapMiB.map((p) => `${f(p.heapMiB)} MiB at ${f(p.t, 0)} s`).join(', ')}.`] : []),
    '',
    '| process | RSS start MiB | RSS end MiB | RSS peak MiB | RSS slope, 2nd half MiB/min | R² | heap after full GC, before → after the run MiB | retained per request | heap floor slope MiB/min |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...m.series.map((s) => {
      const perReq = m.requests > 0 ? ((s.retainedAfterMiB - s.retainedBeforeMiB) * 2 ** 20) / m.requests : NaN;
      return `| ${s.process} | ${f(s.startMiB)} | ${f(s.endMiB)} | ${f(s.peakMiB)} | ${f(s.slopeMiBPerMin, 2)} | ${f(s.r2, 2)} | ${f(s.retainedBeforeMiB)} → ${f(s.retainedAfterMiB)} | ${Number.isFinite(perReq) ? `${Math.round(perReq)} B` : '–'} | ${f(s.heapFloorSlopeMiBPerMin, 2)} (${s.heapFloorPoints} points, ${s.heapFloorMethod}) |`;
    }),
    '',
  ].join('\n');
}

/** The first latency's row of each scenario (0 ms when measured): what a History row shows. */
const headlineLatency = (r: BenchResults) => (r.settings.latencies.includes(0) ? 0 : r.settings.latencies[0]!);

/** --compare, for the History: "vs `abc1234`: Q1 CPU/request −3.0 %, …" (headline latency). */
export function changeSummary(r: BenchResults): string {
  if (!r.compare) return '';
  const lat = headlineLatency(r);
  const parts = r.scenarios
    .filter((s) => s.latencyMs === lat && s.ratios.afterVsBefore)
    .map((s, i) => `${s.scenario}${i === 0 ? ' CPU/request' : ''} ${change(s.ratios.afterVsBefore!.cpuMsPerRequest)}`);
  return `vs \`${r.compare.sha}\`: ${parts.join(', ') || 'no scenario measured'}`;
}

export function historyRow(r: BenchResults): string {
  const find = (id: string, lat: number) => r.scenarios.find((s) => s.scenario === id && s.latencyMs === lat);
  const lat0 = headlineLatency(r);
  const lat5 = r.settings.latencies.includes(5) ? 5 : r.settings.latencies.at(-1)!;
  const q1 = find('Q1', lat0);
  const overheads = (lat: number) =>
    ['Q1', 'Q2-50', 'Q2-200']
      .map((id) => {
        const s = find(id, lat);
        return pct(s ? policyOverheadRead(s) : undefined).replace(' ', '');
      })
      .join(' · ');
  const gw = r.memory?.series.find((s) => s.process === 'gateway');
  const gwPeak = Math.max(...r.scenarios.flatMap((s) => s.variants.filter((v) => v.variant === 'on').map((v) => v.peakRssMiB)));
  const passed = r.targets.filter((t) => t.pass).length;
  const cells = [
    r.startedAt.slice(0, 16).replace('T', ' '),
    `\`${r.commit}\``,
    [r.label, changeSummary(r)].filter(Boolean).join('; ').replaceAll('|', '/') || '–',
    r.mode,
    q1 ? ['on', 'off', 'in-process'].map((v) => f(variant(q1, v as VariantResult['variant'])?.reqPerSec, 0)).join(' · ') : '–',
    q1 ? `${f(variant(q1, 'on')?.latencyMs.p99, 1)} · ${f(variant(q1, 'in-process')?.latencyMs.p99, 1)}` : '–',
    q1 ? ['on', 'off', 'in-process'].map((v) => f(variant(q1, v as VariantResult['variant'])?.cpuMsPerRequest.total, 2)).join(' · ') : '–',
    overheads(lat0),
    overheads(lat5),
    f(variant(find('Q2-200', lat5) ?? ({ variants: [] } as unknown as ScenarioResult), 'on')?.reqPerSec, 1),
    f(gwPeak, 0),
    f(gw?.slopeMiBPerMin, 2),
    `${passed}/${r.targets.length}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The History rows of an existing REPORT.md (between the markers), oldest first. */
export function readHistory(report: string | undefined): string[] {
  if (!report) return [];
  const start = report.indexOf(HISTORY_START);
  const end = report.indexOf(HISTORY_END);
  if (start < 0 || end < start) return [];
  return report
    .slice(start + HISTORY_START.length, end)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|') && !HISTORY_HEADER.includes(l) && !/^\|\s*-{3}/.test(l) && !l.startsWith('| date'));
}

/** The interleaved order of one round, as the Setup names it. */

/** The bench's Redis, as a report's method section describes it. */
const redisStore = (appendfsync: 'everysec' | 'always' | undefined) =>
  "Consent store and access log of the enforcing stacks (on, before) in Redis: the bench's own `redis-server` (AOF `" +
  (appendfsync ?? 'everysec') +
  "`, `noeviction`" +
  (appendfsync === 'always' ? ', appends acknowledged only once on disk: `AUDIT_DURABILITY=fsync`' : '') +
  '), one key prefix per stack, its CPU counted in the CPU per request of the variant being measured (it serves no other); the unenforced stack keeps nothing.';

function roundOrder(r: BenchResults): string {
  const ids = ['on', 'off', 'in-process', ...(r.compare ? ['before'] : [])];
  return `${ids.join(', ')}, …, ${ids.reverse().join(', ')}`;
}

export function renderReport(r: BenchResults, history: readonly string[], profiles: readonly string[] = []): string {
  const m = r.machine;
  const c = r.compare;
  const latencies = [...new Set(r.scenarios.map((s) => s.latencyMs))];
  const flags = [...(r.mode === 'quick' ? ['--quick'] : []), ...(c ? [`--compare ${c.rev}`] : []), ...(r.settings.store === 'redis' ? ['--store redis'] : []), ...(r.settings.appendfsync === 'always' ? ['--appendfsync always'] : [])];
  return [
    '# Benchmark report',
    '',
    `Generated by \`npm run bench${flags.length ? ` -- ${flags.join(' ')}` : ''}\` on ${r.startedAt} (commit \`${r.commit}\`${r.label ? `, label "${r.label}"` : ''}). Raw numbers: \`bench/results/latest.json\`. Do not edit above the History section: it is rewritten by every run.`,
    '',
    '## Setup',
    '',
    `- **Machine**: ${m.nproc} CPUs (${m.cpuModel}), ${m.totalMemGiB} GiB, Node ${m.node} on ${m.platform}; load average at start ${m.loadAvgStart.map((v) => v.toFixed(2)).join(' ')}, at end ${m.loadAvgEnd.map((v) => v.toFixed(2)).join(' ')} (a shared, noisy machine: compare rows of one run, not runs of different days).`,
    `- **Split layout (the headline rows)**: three processes, each a child started by \`bench/serve-stack.ts\`: the gateway alone (\`startGateway\`), the five subgraphs (\`startStack({ gateway: false })\`, registries named by \`<SUBGRAPH>_REGISTRY_URL\`), and the mock registries (msw over HTTP, \`startMockRegistries\`; restarted on the same port to change their latency). The gateway's credential key pair is generated by the orchestrator (private key file to the gateway, public to the subgraphs). autocannon drives the gateway from the orchestrator, a fourth process. All traffic on 127.0.0.1. ${r.settings.store === 'redis' ? redisStore(r.settings.appendfsync) : 'Consent store and access log in memory (no `REDIS_URL`), as `npm start` runs.'} Every child runs with the node flags of its checkout's \`lib/runtime-flags.ts\`, as \`npm start\` and the container image do (none for a revision from before that file).`,
    '- **Enforcement off**: the same subgraph definitions served without the enforcement transform, with an access object that releases everything (`bench/unenforced.ts`, built from the product\'s public pieces; no production code knows of it), behind a gateway of their own: no access decisions, no journaling (ratio (a), the policy\'s cost). Same mocks process.',
    '- **In-process**: one graphql-js schema (`bench/in-process-schema.ts`: the five subgraph SDLs merged, the product\'s own resolvers and per-request DataLoaders, no federation, no enforcement, no credentials) served by plain node:http in its own process, reading the same mocks process over HTTP. Ratio (b): the federation\'s cost, our upper bound.',
    r.settings.embedded
      ? '- **Embedded layout**: `startStack()` as `npm start` runs it, gateway + subgraphs + mocks in one process (Q1 at the first latency only): its RSS is the whole stack\'s, not the gateway\'s.'
      : '- Embedded layout: skipped (--no-embedded).',
    ...(c
      ? [
          `- **Before (\`${c.sha}\`)**: \`--compare ${c.rev}\` ("${c.subject}"): a \`git worktree\` of that commit, its stack started by its own \`bench/serve-stack.ts\` like the headline rows (gateway | subgraphs, enforcement on, the same mocks process, its own consents granted through its gateway), on this checkout's \`node_modules\`${c.sameDependencies ? ' (same package-lock.json)' : ' (**its package-lock.json differs**: the before side ran on this checkout\'s dependencies)'}. The headline rows are the "after": the working tree at \`${r.commit}\`${r.commit.endsWith('+dirty') ? ' (with its uncommitted changes)' : ''}.`,
        ]
      : []),
    '- **Requester**: an AI case manager (`institution AI, role case-manager`), purpose `cii`, case reference `AI-GE-2026-0815`, a development HS256 token verified per request. Before the run every person of the queries got a consent through the gateway (`grantConsent`: recipients AI, categories ac.entitlement, as.benefits, as.situation, purpose cii), so every field is released: nothing is denied, and every variant returns the same data.',
    '- **Queries** (`bench/queries.ts`): Q1 = the painter `756.1234.5678.97`, all four files and all their fields; Q2 = `persons(avs: [...])` with the same fields for 50 and 200 generated persons (some have a file at an institution, some not).',
    `- **Runs**: per scenario, variant and registry latency (${latencies.join(' ms, ')} ms): ${r.settings.warmupStartS ? `after every process instance ran every scenario for ${r.settings.warmupStartS} s (the JIT keeps speeding the gateway up for some 20 s of load), ` : ''}${r.settings.warmupS} s warm-up, then ${r.settings.measureS} s measured in ${2 * r.settings.rounds} parts run in ${r.settings.rounds} round(s) of ${roundOrder(r)} (drift on the shared machine hits every variant alike; the "parts" column shows each part's req/s).${(r.settings.instances ?? 1) > 1 ? ` Each split variant (on, off${c ? ', before' : ''}) runs as ${r.settings.instances} process instances, and round r measures instance r mod ${r.settings.instances}: one instance of the same code can run some 10 % slower than another (JIT, memory layout), a bias pairing parts in time cannot remove.` : ''}${r.settings.twin ? ` On and off are twins: each gateway process holds a gateway on the enforcement-on subgraphs and one on the enforcement-off subgraphs, both in one subgraphs process, so what makes one process instance faster than another hits on and off alike (two stacks of identical code, both enforcement off, measured as separate processes read +4.8 % and −9.7 % apart in two runs); their CPU per request is that process pair's CPU during each variant's own parts (the idle twin's share is negligible), and their peak RSS is the pair's, shared.` : ''} The policy overhead the target reads is the median, over the pairs of adjacent on and off parts (on's k-th part and off's k-th part run one after the other), of 1 − req/s on ÷ req/s off: a burst of other work spoils the pairs it falls in, not the figure; the quartiles of those pairs and the ratio of all requests pooled are shown beside it. Latency percentiles from every response time autocannon reported. Registry calls per request: from the mocks' \`/__calls\` counters, on 3 sequential requests on a quiet stack ("quiet"), and during the measured load (calls ÷ requests sent). Peak RSS: \`/proc/<pid>/status\` VmRSS sampled every 250 ms during the measured runs. CPU ms/request: user + system time from \`/proc/<pid>/stat\` over the measured runs ÷ requests sent, of the process answering (front) and of every process serving it (total: + subgraphs and mocks; for the in-process schema, + the mocks' process), far less sensitive than req/s to other work on the machine.`,
    '',
    '## Results',
    '',
    ...latencies.flatMap((lat) => [`### Registry latency ${lat} ms`, '', ...r.scenarios.filter((s) => s.latencyMs === lat).map((s) => scenarioTable(s, c))]),
    '### Ratios',
    '',
    ratioTable(r),
    '',
    ...(c ? [beforeAfterSection(r, c)] : []),
    '## Memory growth',
    '',
    memorySection(r),
    'The subgraphs process keeps the in-memory access log (every decision, by design, when no `REDIS_URL` is set: it grows with the decisions journaled) and, per subgraph, each request\'s decisions for 30 s (`RequestAccessCache`, at most 10 000 entries); the mocks keep a capped record of lookups. Lifetime peaks (VmHWM) of every child when it stopped:',
    '',
    ...Object.entries(r.childPeaks).map(([name, mib]) => `- ${name}: ${f(mib, 0)} MiB`),
    '',
    '## CPU profiles',
    '',
    profiles.length
      ? `Where the time goes, per process (not regenerated by this run; \`npm run bench -- --profile\` and \`-- --profile --only Q2-200\` refresh them): ${profiles.map((p) => `[\`${p}\`](results/${p})`).join(', ')}.`
      : 'None yet: `npm run bench -- --profile` (Q1) and `npm run bench -- --profile --only Q2-200` write `bench/results/profile-<scenario>-latest.md`.',
    '',
    '## Targets',
    '',
    ...r.targets.map((t) => `- ${t.pass ? '✅ PASS' : '❌ FAIL'}: **${t.title}**. ${t.detail}.`),
    '',
    '## History',
    '',
    'One row per `npm run bench` (`--label "..."` names it; `--no-history` leaves it out). To show a change\'s before and after, measure both in one run: `npm run bench -- --compare <commit before the change>` (the label then ends with "vs <sha>: Q1 CPU/request ±x %, …", after ÷ before − 1).',
    '',
    HISTORY_START,
    ...HISTORY_HEADER,
    ...history,
    HISTORY_END,
    '',
  ].join('\n');
}
