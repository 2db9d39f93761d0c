// The shape of bench/results/<timestamp>.json (and latest.json).
import type { PairedEstimate } from './stats.ts';
import type { RegistrySubgraphName } from '../../lib/config.ts';

export type VariantId = 'on' | 'off' | 'in-process' | 'before' | 'embedded-on' | 'embedded-off';

const VARIANT_LABELS: Record<Exclude<VariantId, 'before'>, string> = {
  on: 'ciigraph (gateway + subgraphs, enforcement on)',
  off: 'same stack, enforcement off',
  'in-process': 'in-process graphql-js schema (upper bound)',
  'embedded-on': 'embedded layout (one process), enforcement on',
  'embedded-off': 'embedded layout (one process), enforcement off',
};

/** A variant's row title in the report; the before variant is named by its commit. */
export function variantLabel(id: VariantId, compared: ComparedRevision | undefined): string {
  return id === 'before' ? `before (\`${compared?.sha ?? '?'}\`): gateway + subgraphs, enforcement on` : VARIANT_LABELS[id];
}

export type Calls = Record<RegistrySubgraphName, number>;

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface VariantResult {
  variant: VariantId;
  reqPerSec: number;
  completed: number;
  sent: number;
  seconds: number;
  /** req/s of each interleaved part: how stable the machine was. */
  segmentsReqPerSec: number[];
  /** From every response time autocannon reported (sub-millisecond). */
  latencyMs: LatencySummary;
  /** autocannon's own histogram percentiles (whole milliseconds). */
  autocannonLatencyMs: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 200 responses whose body holds `errors` (a denial, a registry failure...). */
  graphqlErrors: number;
  /** Registry calls per request per registry: 3 sequential requests on a quiet stack. */
  callsPerRequest: Calls;
  /** Same, during the measured load (calls / requests sent). */
  callsPerRequestUnderLoad: Calls;
  /**
   * CPU time per request (sent), ms, from /proc/<pid>/stat: of the process answering (front:
   * gateway, embedded stack or in-process server) and of every process serving it (total: +
   * subgraphs and mocks). Less sensitive to a noisy machine than req/s.
   */
  cpuMsPerRequest: { front: number; total: number };
  /** Peak RSS of the process answering (the gateway in the split layout), MiB. */
  peakRssMiB: number;
  /** Split layout: peak RSS of the subgraphs process, MiB. */
  backendPeakRssMiB?: number;
  /** One request before the run. */
  check: { status: number; errors: string[]; bytes: number; nullFiles: number };
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  latencyMs: number;
  connections: number;
  persons: number;
  variants: VariantResult[];
  /** Same `data` from every variant (consents seeded, nothing denied). */
  sameData: boolean;
  /** 1-minute load average of the machine when the scenario ended (other work on it). */
  loadAvg1: number;
  ratios: {
    /** 1 − req/s(on) / req/s(off): the policy's cost, split layout, all requests pooled. */
    policyOverhead?: number;
    /** The same per pair of adjacent on/off parts: median and quartiles (what the target reads). */
    policyOverheadPaired?: PairedEstimate;
    /** Same, embedded layout. */
    embeddedPolicyOverhead?: number;
    /** CPU ms per request (all processes) on ÷ off − 1: the policy's cost in CPU. */
    policyCpuOverhead?: number;
    /** CPU ms per request (all processes) on ÷ in-process. */
    cpuVsInProcess?: number;
    /** req/s(in-process) / req/s(on). */
    inProcessSpeedup?: number;
    /** req/s(in-process) / req/s(off): federation alone. */
    inProcessSpeedupOverOff?: number;
    /** p99(on) / p99(in-process). */
    p99VsInProcess?: number;
    p50VsInProcess?: number;
    /** --compare: on (the working tree) ÷ before (the compared commit). */
    afterVsBefore?: Change;
  };
}

/** after ÷ before, each of the split stack with enforcement on. */
export interface Change {
  reqPerSec: number;
  /** CPU ms per request of every process serving it (total). */
  cpuMsPerRequest: number;
  p99: number;
}

/** --compare: the commit whose own stack ran as the "before" variant. */
export interface ComparedRevision {
  /** As given on the command line. */
  rev: string;
  sha: string;
  subject: string;
  /** Its package-lock.json is this checkout's (it ran on this checkout's node_modules). */
  sameDependencies: boolean;
}

export interface MemorySeries {
  process: string;
  pid: number;
  startMiB: number;
  endMiB: number;
  peakMiB: number;
  /** Least-squares slope over the second half (after warm-up), MiB per minute. */
  slopeMiBPerMin: number;
  r2: number;
  /** V8 heap used (process.memoryUsage().heapUsed), sampled every second. */
  heapStartMiB: number;
  heapEndMiB: number;
  /**
   * Slope of the heap's floor after the first quarter, MiB/min: for the gateway, its heap
   * after a forced full GC every 10 s; for the others, the local minima of heap used.
   */
  heapFloorSlopeMiBPerMin: number;
  heapFloorPoints: number;
  heapFloorMethod: 'forced GC' | 'local minima';
  /** Heap used after a forced full GC just before and just after the load, MiB. */
  retainedBeforeMiB: number;
  retainedAfterMiB: number;
  /** Gateway: heap used after a forced full GC, every 10 s. */
  retainedHeapMiB?: { t: number; heapMiB: number }[];
  samples: { t: number; rssMiB: number }[];
  heapSamples: { t: number; heapMiB: number }[];
}

export interface MemoryResult {
  scenario: string;
  latencyMs: number;
  seconds: number;
  connections: number;
  requests: number;
  reqPerSec: number;
  series: MemorySeries[];
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  totalMemGiB: number;
  node: string;
  platform: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt: string;
  commit: string;
  label: string;
  mode: 'quick' | 'full';
  settings: {
    /** Where the enforcing stacks kept consents and the access log (absent: memory, before 0.5). */
    store?: 'memory' | 'redis';
    /** --store redis: how the bench's Redis fsynced (absent: everysec, before issue 20). */
    appendfsync?: 'everysec' | 'always';
    latencies: number[];
    warmupS: number;
    measureS: number;
    rounds: number;
    /** Process instances per split variant (absent in reports from before --instances: 1). */
    instances?: number;
    /** Warm-up of every process with every scenario before any measurement, s (absent in reports from before: none). */
    warmupStartS?: number;
    /** Enforcement off as the twin of on, in the same processes (absent in reports from before: separate processes). */
    twin?: boolean;
    memoryS: number;
    embedded: boolean;
  };
  machine: Machine;
  compare?: ComparedRevision;
  scenarios: ScenarioResult[];
  memory?: MemoryResult;
  /** VmHWM (lifetime peak RSS) of every child when it stopped, MiB. */
  childPeaks: Record<string, number>;
  targets: TargetVerdict[];
}

export interface TargetVerdict {
  id: 'policy-overhead' | 'caseload-calls' | 'p99-vs-in-process' | 'memory-growth';
  title: string;
  pass: boolean;
  detail: string;
}
