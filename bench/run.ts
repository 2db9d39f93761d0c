// `npm run bench`: starts the stack under test in child processes, drives it with autocannon
// from this process, and writes bench/REPORT.md and bench/results/<timestamp>.json (+ latest.json).
// See `npm run bench -- --help` and bench/REPORT.md's Setup section for what is measured.
import autocannon, { type Result } from 'autocannon';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envPrefix, REGISTRY_PATHS, REGISTRY_SUBGRAPHS } from '../lib/config.ts';
import { parseArgs, USAGE, type BenchArgs } from './lib/args.ts';
import { killAllChildren, runtimeFlagsOf, startChild, type Child } from './lib/children.ts';
import { profileMarkdown, summariseProfile } from './lib/cpuprofile.ts';
import { readProcCpuSeconds, RssSampler } from './lib/proc.ts';
import { afterVsBefore, evaluateTargets, historyRow, readHistory, renderReport, variant } from './lib/report.ts';
import { killBenchRedis, startBenchRedis, type BenchRedis } from './lib/redis.ts';
import { checkOut, currentCommit, removeAllCheckouts, type Checkout } from './lib/revisions.ts';
import { linearFit, pairedOverhead, percentileOfSorted, troughs } from './lib/stats.ts';
import type { BenchResults, Calls, MemoryResult, ScenarioResult, VariantId, VariantResult } from './lib/types.ts';
import { scenarios, type Scenario } from './queries.ts';
import type { ServeOptions } from './serve-stack.ts';
import { headersOf, post, prepareEnv, seedScenarios, type Env } from './lib/seed.ts';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** One thing autocannon can point at. */
interface Target {
  id: VariantId;
  url: string;
  mocksUrl: string;
  /** The process answering (gateway, embedded stack, in-process server). */
  pid: number;
  /** Split layout: the subgraphs + mocks process behind the gateway. */
  backendPid?: number;
  /** Every process whose CPU time serves this target's requests (the mocks included). */
  cpuPids: number[];
  /** Access decisions on: the persons need their consents granted through it first. */
  enforcement: boolean;
  /**
   * Other process instances of the same variant (split layout, --instances): round r is
   * measured on instance r mod n, so a process instance that happens to run slower (JIT,
   * memory layout) weighs on one part in n, not on every part of its variant.
   */
  alternates?: Instance[];
}

type Instance = Pick<Target, 'url' | 'pid' | 'backendPid' | 'cpuPids'>;

/** The target and its alternates: every process instance that answers for it. */
const instancesOf = (t: Target): Instance[] => [t, ...(t.alternates ?? [])];


// ---------------------------------------------------------------------------------------------
// Setup


async function waitFor(url: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}


// ---------------------------------------------------------------------------------------------
// Registry call counters of the mocks

async function readCalls(mocksUrl: string): Promise<Calls> {
  const res = await fetch(`${mocksUrl}/__calls`);
  return ((await res.json()) as { calls: Calls }).calls;
}

async function resetCalls(mocksUrl: string): Promise<void> {
  await fetch(`${mocksUrl}/__calls/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());
}

/** Waits until the registries see no new call for two consecutive polls (aborted in-flight requests finished). */
async function quiesce(mocksUrl: string, maxMs = 5_000): Promise<void> {
  const t0 = Date.now();
  let prev = JSON.stringify(await readCalls(mocksUrl));
  let stable = 0;
  while (Date.now() - t0 < maxMs && stable < 2) {
    await sleep(100);
    const cur = JSON.stringify(await readCalls(mocksUrl));
    stable = cur === prev ? stable + 1 : 0;
    prev = cur;
  }
}

const perRequest = (c: Calls, n: number): Calls =>
  Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [r, n > 0 ? Math.round((1000 * c[r]) / n) / 1000 : NaN])) as Calls;

// ---------------------------------------------------------------------------------------------
// Load

interface LoadRun {
  result: Result;
  latencies: number[];
}

function load(t: Target, s: Scenario, headers: Record<string, string>, seconds: number, record: boolean): Promise<LoadRun> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${t.url}/graphql`,
        method: 'POST',
        headers,
        body: s.body,
        connections: s.connections,
        duration: seconds,
        // Stops are checked at each sample: 100 ms keeps a run within 0.1 s of its duration.
        sampleInt: 100,
        timeout: 30,
        // A 200 whose body holds errors (a denial, a registry failure) is not a success.
        verifyBody: (body) => !body.includes('"errors"'),
      },
      (err, result) => (err ? reject(err) : resolve({ result, latencies })),
    );
    if (record) instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  });
}

interface Accumulator {
  completed: number;
  sent: number;
  seconds: number;
  segments: number[];
  latencies: number[];
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  acP50: number[];
  acP99: number[];
  calls: Calls;
  peak: number;
  backendPeak: number;
  /** CPU seconds used during the measured halves: [front process, all processes]. */
  cpuFront: number;
  cpuTotal: number;
}

const emptyCalls = (): Calls => Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [r, 0])) as Calls;

async function measureScenario(
  s: Scenario,
  latencyMs: number,
  targets: Target[],
  env: Env,
  args: BenchArgs,
): Promise<ScenarioResult> {
  const acc = new Map<VariantId, Accumulator>();
  const checks = new Map<VariantId, VariantResult['check']>();
  const quiet = new Map<VariantId, Calls>();
  const data = new Map<VariantId, string>();

  for (const t of targets) {
    // One request: status, errors, and the data every variant must agree on.
    const r = await post(t.url, headersOf(env, s), s.body);
    const errors = (r.json.errors ?? []).map((e) => `${e.extensions?.code ?? '?'}${e.extensions?.category ? ` ${e.extensions.category}` : ''}: ${e.message}`);
    const people = (() => {
      const d = r.json.data as { person?: Record<string, unknown>; persons?: Record<string, unknown>[] } | undefined;
      return d?.person ? [d.person] : (d?.persons ?? []);
    })();
    const nullFiles = people.reduce(
      (n, p) => n + ['unemployment', 'disability', 'socialAssistance', 'supplementaryBenefits'].filter((k) => p[k] === null).length,
      0,
    );
    checks.set(t.id, { status: r.status, errors: [...new Set(errors)].slice(0, 10), bytes: r.text.length, nullFiles });
    data.set(t.id, JSON.stringify(r.json.data ?? null));
    if (r.status !== 200 || errors.length) log(`  ${s.id} ${t.id}: status ${r.status}, errors ${errors.slice(0, 3).join(' | ')}`);

    // Registry calls per request on a quiet stack: 3 sequential requests.
    await quiesce(t.mocksUrl);
    await resetCalls(t.mocksUrl);
    for (let i = 0; i < 3; i++) await post(t.url, headersOf(env, s), s.body);
    quiet.set(t.id, perRequest(await readCalls(t.mocksUrl), 3));

    if (args.warmupS > 0) for (const i of instancesOf(t)) await load({ ...t, ...i }, s, headersOf(env, s), args.warmupS, false);
    await quiesce(t.mocksUrl);
    acc.set(t.id, {
      completed: 0, sent: 0, seconds: 0, segments: [], latencies: [], errors: 0, timeouts: 0, non2xx: 0, mismatches: 0,
      acP50: [], acP99: [], calls: emptyCalls(), peak: NaN, backendPeak: NaN, cpuFront: 0, cpuTotal: 0,
    });
  }

  // Rounds of A B C … C B A, so slow drift of the machine hits every variant alike.
  // Round r measures each variant on its instance r mod n (see Target.alternates).
  const order = Array.from({ length: args.rounds }, (_, r) =>
    [...targets, ...[...targets].reverse()].map((t) => {
      const all = instancesOf(t);
      return { ...t, ...all[r % all.length]! };
    }),
  ).flat();
  const half = args.measureS / (2 * args.rounds);
  const pids = [...new Set(targets.flatMap((t) => instancesOf(t).flatMap((i) => [i.pid, ...(i.backendPid ? [i.backendPid] : [])])))];
  for (const t of order) {
    const a = acc.get(t.id)!;
    // Quiet already: every warm-up and every part ends by waiting for its last calls.
    await resetCalls(t.mocksUrl);
    const sampler = new RssSampler(pids, 250).start();
    const cpu0 = t.cpuPids.map((pid) => readProcCpuSeconds(pid) ?? NaN);
    const { result, latencies } = await load(t, s, headersOf(env, s), half, true);
    const cpu1 = t.cpuPids.map((pid) => readProcCpuSeconds(pid) ?? NaN);
    sampler.stop();
    a.cpuFront += cpu1[0]! - cpu0[0]!;
    a.cpuTotal += cpu1.reduce((sum, v, i) => sum + v - cpu0[i]!, 0);
    await quiesce(t.mocksUrl);
    const c = await readCalls(t.mocksUrl);
    for (const r of REGISTRY_SUBGRAPHS) a.calls[r] += c[r];
    a.completed += result.requests.total;
    a.sent += result.requests.sent;
    a.seconds += result.duration;
    a.segments.push(result.requests.total / result.duration);
    a.latencies.push(...latencies);
    a.errors += result.errors - result.timeouts;
    a.timeouts += result.timeouts;
    a.non2xx += result.non2xx;
    a.mismatches += result.mismatches;
    a.acP50.push(result.latency.p50);
    a.acP99.push(result.latency.p99);
    a.peak = Math.max(Number.isNaN(a.peak) ? 0 : a.peak, sampler.peak(t.pid));
    if (t.backendPid) a.backendPeak = Math.max(Number.isNaN(a.backendPeak) ? 0 : a.backendPeak, sampler.peak(t.backendPid));
  }

  const variants: VariantResult[] = targets.map((t) => {
    const a = acc.get(t.id)!;
    const sorted = [...a.latencies].sort((p, q) => p - q);
    const mean = sorted.reduce((x, y) => x + y, 0) / (sorted.length || 1);
    return {
      variant: t.id,
      reqPerSec: a.completed / a.seconds,
      completed: a.completed,
      sent: a.sent,
      seconds: a.seconds,
      segmentsReqPerSec: a.segments,
      latencyMs: {
        p50: percentileOfSorted(sorted, 50),
        p90: percentileOfSorted(sorted, 90),
        p99: percentileOfSorted(sorted, 99),
        max: sorted.at(-1) ?? NaN,
        mean,
      },
      autocannonLatencyMs: { p50: Math.max(...a.acP50), p99: Math.max(...a.acP99) },
      errors: a.errors,
      timeouts: a.timeouts,
      non2xx: a.non2xx,
      graphqlErrors: a.mismatches,
      callsPerRequest: quiet.get(t.id)!,
      callsPerRequestUnderLoad: perRequest(a.calls, a.sent),
      cpuMsPerRequest: { front: (1000 * a.cpuFront) / a.sent, total: (1000 * a.cpuTotal) / a.sent },
      peakRssMiB: a.peak,
      ...(t.backendPid ? { backendPeakRssMiB: a.backendPeak } : {}),
      check: checks.get(t.id)!,
    };
  });

  const result: ScenarioResult = {
    scenario: s.id,
    title: s.title,
    latencyMs,
    connections: s.connections,
    persons: s.persons.length,
    variants,
    sameData: new Set(data.values()).size === 1,
    loadAvg1: Math.round(os.loadavg()[0]! * 100) / 100,
    ratios: {},
  };
  const rps = (id: VariantId) => variant(result, id)?.reqPerSec;
  const p = (id: VariantId, k: 'p50' | 'p99') => variant(result, id)?.latencyMs[k];
  const on = rps('on'), off = rps('off'), inproc = rps('in-process'), eon = rps('embedded-on'), eoff = rps('embedded-off');
  if (on !== undefined && off !== undefined) result.ratios.policyOverhead = 1 - on / off;
  const paired = pairedOverhead(variant(result, 'on')?.segmentsReqPerSec ?? [], variant(result, 'off')?.segmentsReqPerSec ?? []);
  if (paired) result.ratios.policyOverheadPaired = paired;
  if (eon !== undefined && eoff !== undefined) result.ratios.embeddedPolicyOverhead = 1 - eon / eoff;
  if (on !== undefined && inproc !== undefined) result.ratios.inProcessSpeedup = inproc / on;
  if (off !== undefined && inproc !== undefined) result.ratios.inProcessSpeedupOverOff = inproc / off;
  const cpu = (id: VariantId) => variant(result, id)?.cpuMsPerRequest.total;
  if (cpu('on') !== undefined && cpu('off') !== undefined) result.ratios.policyCpuOverhead = cpu('on')! / cpu('off')! - 1;
  if (cpu('on') !== undefined && cpu('in-process') !== undefined) result.ratios.cpuVsInProcess = cpu('on')! / cpu('in-process')!;
  if (p('on', 'p99') !== undefined && p('in-process', 'p99') !== undefined) {
    result.ratios.p99VsInProcess = p('on', 'p99')! / p('in-process', 'p99')!;
    result.ratios.p50VsInProcess = p('on', 'p50')! / p('in-process', 'p50')!;
  }
  const change = afterVsBefore(result);
  if (change) result.ratios.afterVsBefore = change;
  const line = variants.map((v) => `${v.variant} ${v.reqPerSec.toFixed(1)} req/s p99 ${v.latencyMs.p99.toFixed(1)} ms`).join(' | ');
  log(`  ${s.id} @ ${latencyMs} ms: ${line}${result.sameData ? '' : ' (DATA DIFFERS)'}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The processes under test

/**
 * Split layout: gateway | subgraphs | mocks, one process each (enforcement on and off), the
 * in-process schema on the same mocks, and (optionally) the embedded layout with its own
 * mocks. The mocks process is restarted on the same port to change the registry latency, so
 * the stacks start (and get their consents) once.
 */
interface Stacks {
  /** --store redis: the redis-server the enforcing stacks share (its CPU counts in theirs). */
  redisPid?: number;
  children: Child[];
  mocks: Child;
  mocksPort: number;
  on: { gateway: Child; subgraphs: Child };
  off: { gateway: Child; subgraphs: Child };
  inProcess: Child;
  /** --compare: the compared revision's own gateway and subgraphs (enforcement on), same mocks. */
  before: { gateway: Child; subgraphs: Child } | undefined;
  /** --instances: further process instances of on, off and before (see Target.alternates). */
  spares: { on: SplitPair[]; off: SplitPair[]; before: SplitPair[] };
  embedded: { on: Child; off: Child } | undefined;
  /** Latency the embedded stacks' own mocks were started with. */
  embeddedLatencyMs: number;
}

/** A gateway and its subgraphs; `url`: where this variant answers, if not the gateway's own URL (a twin's). */
type SplitPair = { gateway: Child; subgraphs: Child; url?: string };

function splitTargets(st: Stacks): Target[] {
  const mocksUrl = st.mocks.ready.mocksUrl!;
  const m = st.mocks.pid;
  const instance = ({ gateway, subgraphs, url }: SplitPair): Instance => ({
    url: url ?? gateway.ready.url!,
    pid: gateway.pid,
    backendPid: subgraphs.pid,
    cpuPids: [gateway.pid, subgraphs.pid, m],
  });
  const split = (id: VariantId, first: SplitPair, spares: SplitPair[], enforcement: boolean): Target => ({
    id,
    ...withRedis(instance(first), enforcement),
    mocksUrl,
    enforcement,
    ...(spares.length ? { alternates: spares.map((p) => withRedis(instance(p), enforcement)) } : {}),
  });
  // The enforcing stacks' Redis serves only the variant being measured: its CPU is theirs.
  const withRedis = (i: Instance, enforcement: boolean): Instance => (enforcement && st.redisPid ? { ...i, cpuPids: [...i.cpuPids, st.redisPid] } : i);
  return [
    split('on', st.on, st.spares.on, true),
    split('off', st.off, st.spares.off, false),
    { id: 'in-process', url: st.inProcess.ready.url!, mocksUrl, pid: st.inProcess.pid, cpuPids: [st.inProcess.pid, m], enforcement: false },
    ...(st.before ? [split('before', st.before, st.spares.before, true)] : []),
  ];
}

function embeddedTargets(st: Stacks): Target[] {
  if (!st.embedded) return [];
  const { on, off } = st.embedded;
  return [
    { id: 'embedded-on', url: on.ready.url!, mocksUrl: on.ready.mocksUrl!, pid: on.pid, cpuPids: [on.pid], enforcement: true },
    { id: 'embedded-off', url: off.ready.url!, mocksUrl: off.ready.mocksUrl!, pid: off.pid, cpuPids: [off.pid], enforcement: false },
  ];
}

/** The variable a checkout's subgraphs read the gateway's public key from (a list of files since 0.5). */
function publicKeyVariable(checkout: string = ROOT): string {
  const plural = ['lib/config.ts', 'lib/config/settings.ts'].some((f) => existsSync(join(checkout, f)) && readFileSync(join(checkout, f), 'utf8').includes('GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES'));
  return plural ? 'GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES' : 'GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE';
}

type StartFn = (name: string, serve: ServeOptions, extraEnv?: Record<string, string>, checkout?: string) => Promise<Child>;

/**
 * The compared revision's gateway and subgraphs, from its own serve-stack.ts, checked to be
 * the same split layout (the subgraphs on our mocks, not mocks of their own).
 */
async function startBefore(before: Checkout, start: StartFn, subgraphsEnv: Record<string, string>, gatewayEnv: Record<string, string>, suffix = ''): Promise<NonNullable<Stacks['before']>> {
  try {
    const subgraphs = await start(`subgraphs-before${suffix}`, { mode: 'subgraphs', enforcement: true }, subgraphsEnv, before.dir);
    if (!subgraphs.ready.subgraphUrls) throw new Error('its subgraphs mode named no subgraphUrls');
    if (subgraphs.ready.mocksUrl) throw new Error('its subgraphs started mock registries of their own instead of reading <SUBGRAPH>_REGISTRY_URL');
    const gateway = await start(`gateway-before${suffix}`, { mode: 'gateway', subgraphUrls: subgraphs.ready.subgraphUrls }, gatewayEnv, before.dir);
    if (!gateway.ready.url) throw new Error('its gateway mode named no url');
    await waitFor(`${gateway.ready.url}/readyz`);
    return { gateway, subgraphs };
  } catch (e) {
    throw new Error(
      `--compare ${before.rev} (${before.sha}): its bench/serve-stack.ts did not start a compatible split stack (gateway | subgraphs on the orchestrator's mocks): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

async function startStacks(latencyMs: number, env: Env, withEmbedded: boolean, instances: number, twin: boolean, before?: Checkout, redis?: BenchRedis): Promise<Stacks> {
  const children: Child[] = [];
  const start: StartFn = async (name, serve, extraEnv = {}, checkout) => {
    const runtimeFlags = await runtimeFlagsOf(checkout);
    const c = await startChild({ name, serve, env: { ...env.childEnv, ...extraEnv }, logDir: env.outDir, checkout, runtimeFlags });
    children.push(c);
    return c;
  };
  try {
    const mocks = await start(`mocks-${latencyMs}ms`, { mode: 'mocks', port: 0, mockLatencyMs: latencyMs });
    const mocksUrl = mocks.ready.mocksUrl!;
    const registries = Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [`${envPrefix(r)}_REGISTRY_URL`, `${mocksUrl}${REGISTRY_PATHS[r]}`]));
    // --store redis: each enforcing stack on the bench's Redis under a prefix of its own.
    const store = (prefix: string): Record<string, string> =>
      redis ? { REDIS_URL: redis.url, REDIS_PREFIX: prefix, ...(redis.appendfsync === 'always' ? { AUDIT_DURABILITY: 'fsync' } : {}) } : {};
    const pub = { [publicKeyVariable()]: env.publicKeyFile, ...registries, ...store('bench-after:') };
    const beforePub = { [publicKeyVariable(before?.dir)]: env.publicKeyFile, ...registries, ...store('bench-before:') };
    const priv = { GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: env.privateKeyFile };
    // Twins: one subgraphs process holding the enforcement-on and -off subgraphs, one gateway
    // process holding a gateway on each (see ServeOptions.twin).
    const twins = async (n: string): Promise<{ on: SplitPair; off: SplitPair }> => {
      const subgraphs = await start(`subgraphs-twins${n}`, { mode: 'subgraphs', enforcement: true, twin: true }, pub);
      const { subgraphUrls, twinSubgraphUrls } = subgraphs.ready;
      if (!twinSubgraphUrls) throw new Error('the subgraphs process started no twin');
      const gateway = await start(`gateway-twins${n}`, { mode: 'gateway', subgraphUrls: subgraphUrls!, twinSubgraphUrls }, priv);
      return { on: { gateway, subgraphs }, off: { gateway, subgraphs, url: gateway.ready.twinUrl! } };
    };
    const separate = async (variant: 'on' | 'off', n: string): Promise<SplitPair> => {
      const subgraphs = await start(`subgraphs-${variant}${n}`, { mode: 'subgraphs', enforcement: variant === 'on' }, pub);
      const gateway = await start(`gateway-${variant}${n}`, { mode: 'gateway', subgraphUrls: subgraphs.ready.subgraphUrls! }, priv);
      return { gateway, subgraphs };
    };
    const onAndOff = async (n: string) => (twin ? twins(n) : { on: await separate('on', n), off: await separate('off', n) });
    const [first, beforeStack, inProcess, embOn, embOff] = await Promise.all([
      onAndOff(''),
      before ? startBefore(before, start, beforePub, priv) : undefined,
      start('in-process', { mode: 'in-process', registryBaseUrl: mocksUrl }),
      withEmbedded ? start('embedded-on', { mode: 'embedded', mockLatencyMs: latencyMs, enforcement: true }) : undefined,
      withEmbedded ? start('embedded-off', { mode: 'embedded', mockLatencyMs: latencyMs, enforcement: false }) : undefined,
    ]);
    // Further instances of each split variant, started one variant after the other.
    const spares: Stacks['spares'] = { on: [], off: [], before: [] };
    for (let n = 2; n <= instances; n++) {
      const { on, off } = await onAndOff(`-${n}`);
      spares.on.push(on);
      spares.off.push(off);
      if (before) spares.before.push(await startBefore(before, start, beforePub, priv, `-${n}`));
    }
    const st: Stacks = {
      ...(redis ? { redisPid: redis.pid } : {}),
      children: children.filter((c) => c !== mocks),
      mocks,
      mocksPort: Number(new URL(mocksUrl).port),
      on: first.on,
      off: first.off,
      inProcess,
      before: beforeStack,
      spares,
      embedded: embOn && embOff ? { on: embOn, off: embOff } : undefined,
      embeddedLatencyMs: latencyMs,
    };
    for (const t of [...splitTargets(st), ...embeddedTargets(st)]) {
      for (const i of instancesOf(t)) await waitFor(t.id === 'in-process' ? `${i.url}/healthz` : `${i.url}/readyz`);
    }
    return st;
  } catch (e) {
    await Promise.all(children.map((c) => c.stop()));
    throw e;
  }
}

/** Restarts the mocks on the same port with another latency (the subgraphs keep their URLs). */
async function setRegistryLatency(st: Stacks, latencyMs: number, env: Env, peaks: Record<string, number>): Promise<void> {
  await st.mocks.stop();
  if (st.mocks.peakMiB !== undefined) peaks[st.mocks.name] = Math.round(st.mocks.peakMiB * 10) / 10;
  st.mocks = await startChild({
    name: `mocks-${latencyMs}ms`,
    serve: { mode: 'mocks', port: st.mocksPort, mockLatencyMs: latencyMs },
    env: env.childEnv,
    logDir: env.outDir,
    runtimeFlags: await runtimeFlagsOf(),
  });
  await waitFor(`${st.mocks.ready.mocksUrl}/healthz`);
  // Pooled connections to the old mocks are gone: one request per target reconnects them.
  for (const t of splitTargets(st)) for (const i of instancesOf(t)) await post(i.url, env.headers, scenarios()[0]!.body).catch(() => undefined);
}

async function stopEmbedded(st: Stacks, peaks: Record<string, number>): Promise<void> {
  if (!st.embedded) return;
  for (const c of [st.embedded.on, st.embedded.off]) {
    await c.stop();
    if (c.peakMiB !== undefined) peaks[c.name] = Math.round(c.peakMiB * 10) / 10;
  }
  st.children = st.children.filter((c) => c !== st.embedded!.on && c !== st.embedded!.off);
  st.embedded = undefined;
}

async function stopStacks(st: Stacks, peaks: Record<string, number>): Promise<void> {
  const all = [...st.children, st.mocks];
  await Promise.all(all.map((c) => c.stop()));
  for (const c of all) if (c.peakMiB !== undefined) peaks[c.name] = Math.round(c.peakMiB * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Memory growth

async function memoryRun(t: Target, children: Child[], s: Scenario, env: Env, seconds: number, latencyMs: number): Promise<MemoryResult> {
  // gateway, subgraphs, mocks: RSS from /proc and heap used from the process itself, every
  // second; the gateway's heap also after a forced full GC every 10 s (its retained memory).
  const pids = t.cpuPids;
  const names = ['gateway', 'subgraphs', 'mocks'];
  const sampler = new RssSampler(pids, 1000).start();
  const heap = new Map<number, { t: number; heapMiB: number }[]>(pids.map((p) => [p, []]));
  const retained: { t: number; heapMiB: number }[] = [];
  const t0 = Date.now();
  const now = () => (Date.now() - t0) / 1000;
  const askRetained = () =>
    children[0]!.command({ cmd: 'memory', gc: true }, 10_000).then(
      (m) => void (m.collected ? retained.push({ t: now(), heapMiB: Number(m.heapUsed) / 2 ** 20 }) : undefined),
      () => undefined,
    );
  let tick = 0;
  const heapTimer = setInterval(() => {
    tick++;
    for (const c of children) {
      if (c === children[0] && tick % 10 === 0) continue; // that second's sample is the post-GC one
      void c.command({ cmd: 'memory' }, 5_000).then(
        (m) => heap.get(c.pid)?.push({ t: now(), heapMiB: Number(m.heapUsed) / 2 ** 20 }),
        () => undefined,
      );
    }
    if (tick % 10 === 0) void askRetained();
  }, 1000);
  // Every process's retained heap (after a full GC) just before and just after the load.
  const retainedAll = async () =>
    Promise.all(children.map((c) => c.command({ cmd: 'memory', gc: true }, 30_000).then((m) => Number(m.heapUsed) / 2 ** 20, () => NaN)));
  const before = await retainedAll();
  await askRetained();
  const { result } = await load(t, s, headersOf(env, s), seconds, false);
  clearInterval(heapTimer);
  await askRetained();
  const after = await retainedAll();
  sampler.stop();
  const secondHalf = <P extends { t: number }>(points: P[]) => points.filter((p) => p.t >= (points.at(-1)?.t ?? 0) / 2);
  const series = pids.map((pid, i) => {
    const samples = sampler.series(pid);
    const fit = linearFit(secondHalf(samples).map((p) => ({ x: p.t / 60, y: p.rssMiB })));
    const heapSamples = heap.get(pid) ?? [];
    const end = heapSamples.at(-1)?.t ?? 0;
    // The heap's floor: for the gateway, measured after a forced full GC (after the first
    // quarter: warm-up); for the others, its local minima (after each collection). A leak
    // raises the floor; garbage waiting for the next collection does not.
    const floor =
      i === 0 && retained.length >= 3
        ? retained.filter((p) => p.t >= seconds / 4).map((p) => ({ t: p.t, y: p.heapMiB }))
        : troughs(heapSamples.map((p) => ({ t: p.t, y: p.heapMiB }))).filter((p) => p.t >= end / 4);
    const floorFit = linearFit(floor.map((p) => ({ x: p.t / 60, y: p.y })));
    return {
      process: names[i] ?? `pid ${pid}`,
      pid,
      startMiB: samples[0]?.rssMiB ?? NaN,
      endMiB: samples.at(-1)?.rssMiB ?? NaN,
      peakMiB: Math.max(...samples.map((p) => p.rssMiB)),
      slopeMiBPerMin: fit.slope,
      r2: fit.r2,
      heapStartMiB: heapSamples[0]?.heapMiB ?? NaN,
      heapEndMiB: heapSamples.at(-1)?.heapMiB ?? NaN,
      heapFloorSlopeMiBPerMin: floorFit.slope,
      heapFloorPoints: floor.length,
      heapFloorMethod: i === 0 && retained.length >= 3 ? ('forced GC' as const) : ('local minima' as const),
      retainedBeforeMiB: before[i] ?? NaN,
      retainedAfterMiB: after[i] ?? NaN,
      ...(i === 0 ? { retainedHeapMiB: retained.map((p) => ({ t: Math.round(p.t * 10) / 10, heapMiB: Math.round(p.heapMiB * 10) / 10 })) } : {}),
      samples: samples.map((p) => ({ t: Math.round(p.t * 10) / 10, rssMiB: Math.round(p.rssMiB * 10) / 10 })),
      heapSamples: heapSamples.map((p) => ({ t: Math.round(p.t * 10) / 10, heapMiB: Math.round(p.heapMiB * 10) / 10 })),
    };
  });
  return {
    scenario: s.id,
    latencyMs,
    seconds,
    connections: s.connections,
    requests: result.requests.total,
    reqPerSec: result.requests.total / result.duration,
    series,
  };
}

// ---------------------------------------------------------------------------------------------
// Profile mode

async function profileRun(args: BenchArgs, env: Env, stamp: string): Promise<void> {
  const wanted = args.only?.[0] ?? 'Q1';
  const q1 = scenarios().find((s) => s.id === wanted);
  if (!q1) throw new Error(`--only ${wanted}: no such scenario (Q1, Q2-50, Q2-200)`);
  const latency = args.latencies[0]!;
  const st = await startStacks(latency, env, false, 1, false);
  const out: string[] = [
    `# CPU profile: ${q1.id} @ ${latency} ms registry latency`,
    '',
    `${stamp}, commit \`${currentCommit()}\`, ${os.availableParallelism()} CPUs, Node ${process.version}, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}. ${args.profileS} s of ${q1.id} (${q1.connections} connections) against each target after a 3 s warm-up; the V8 sampling profiler (node:inspector, 0.5 ms) of each process covers the measured window only. Split layout: gateway, subgraphs and mocks each in their own process, profiled during the same run.`,
    '',
  ];
  try {
    const [on, off, inProcess] = splitTargets(st);
    await seedScenarios(on!.url, env, [q1]);
    const runs: { target: Target; profiled: { child: Child; label: string }[] }[] = [
      {
        target: on!,
        profiled: [
          { child: st.on.gateway, label: 'gateway (enforcement on)' },
          { child: st.on.subgraphs, label: 'subgraphs (enforcement on)' },
          { child: st.mocks, label: 'mock registries' },
        ],
      },
      {
        // The same stack without the policy: what is left when on and off are read side by side is the policy's cost.
        target: off!,
        profiled: [
          { child: st.off.gateway, label: 'gateway (enforcement off)' },
          { child: st.off.subgraphs, label: 'subgraphs (enforcement off)' },
        ],
      },
      {
        target: inProcess!,
        profiled: [
          { child: st.inProcess, label: 'in-process schema' },
          { child: st.mocks, label: 'mock registries (serving the in-process schema)' },
        ],
      },
    ];
    for (const { target, profiled } of runs) {
      await load(target, q1, env.headers, 3, false);
      for (const p of profiled) await p.child.command({ cmd: 'profile-start' });
      const { result } = await load(target, q1, env.headers, args.profileS, true);
      const n = result.requests.total;
      out.push(`## ${target.id}: ${(n / result.duration).toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`, '');
      for (const p of profiled) {
        const file = join(env.outDir, `${p.child.name}-${target.id}.cpuprofile`);
        await p.child.command({ cmd: 'profile-stop', file });
        const summary = summariseProfile(file);
        out.push(profileMarkdown(`${p.label}: ${(summary.busyMs / 1000 / result.duration).toFixed(2)} CPU cores busy on average, ${(summary.busyMs / n).toFixed(2)} ms CPU per request`, summary));
        log(`  profile ${p.child.name}: ${file}`);
      }
    }
  } finally {
    await stopStacks(st, {});
  }
  const resultsDir = join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `profile-${q1.id}-${stamp}.md`);
  writeFileSync(file, out.join('\n'));
  writeFileSync(join(resultsDir, `profile-${q1.id}-latest.md`), out.join('\n'));
  log(`wrote ${file} (raw .cpuprofile files in ${env.outDir})`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) return void process.stdout.write(USAGE);
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const env = prepareEnv(stamp);
  const loadAvgStart = os.loadavg();
  let before: Checkout | undefined;
  let redis: BenchRedis | undefined;
  try {
    if (args.profile) return await profileRun(args, env, stamp);
    if (args.compare) {
      before = checkOut(args.compare);
      log(`--compare ${args.compare}: ${before.sha} ("${before.subject}") checked out in ${before.dir}${before.sameDependencies ? '' : ' (its package-lock.json differs: it runs on this checkout\'s node_modules)'}`);
    }

    const all = scenarios().filter((s) => !args.only || args.only.includes(s.id));
    if (!all.length) throw new Error(`--only matches no scenario (Q1, Q2-50, Q2-200)`);
    const results: ScenarioResult[] = [];
    const childPeaks: Record<string, number> = {};
    let memory: MemoryResult | undefined;

    const withEmbedded = args.embedded && all.some((s) => s.id === 'Q1');
    log(`starting the stacks: split layout (gateway | subgraphs | mocks, enforcement on and off), in-process${before ? `, before (${before.sha})` : ''}${withEmbedded ? ', embedded' : ''}`);
    redis = args.store === 'redis' ? await startBenchRedis(args.appendfsync) : undefined;
    if (redis) log(`--store redis: consents and access log of the enforcing stacks in ${redis.url} (AOF ${args.appendfsync}, pid ${redis.pid})`);
    const stacks = await startStacks(args.latencies[0]!, env, withEmbedded, args.instances, args.twin, before, redis);
    try {
      log('granting the consents');
      // Enforcement on only: the other variants release everything anyway.
      for (const t of [...splitTargets(stacks), ...embeddedTargets(stacks)]) if (t.enforcement) for (const i of instancesOf(t)) await seedScenarios(i.url, env, scenarios());
      // Every process, every scenario, before anything is measured: the gateway's code keeps
      // getting faster for some 20 s of load (JIT tiers), so a first scenario warmed only by
      // its own short warm-up read a variant with more code (the policy) as slower, and a
      // variant split over more process instances (--compare's before) slower still.
      if (args.warmupStartS > 0) {
        log(`warming up every process: ${args.warmupStartS} s of each scenario on each instance`);
        for (const s of all) {
          for (const t of s.id === 'Q1' ? [...splitTargets(stacks), ...embeddedTargets(stacks)] : splitTargets(stacks)) {
            for (const i of instancesOf(t)) await load({ ...t, ...i }, s, headersOf(env, s), args.warmupStartS, false);
          }
        }
      }
      for (const [i, latency] of args.latencies.entries()) {
        if (i > 0) {
          await stopEmbedded(stacks, childPeaks);
          log(`registry latency ${latency} ms: restarting the mocks`);
          await setRegistryLatency(stacks, latency, env, childPeaks);
        }
        for (const s of all) {
          const targets = s.id === 'Q1' ? [...splitTargets(stacks), ...embeddedTargets(stacks)] : splitTargets(stacks);
          results.push(await measureScenario(s, latency, targets, env, args));
        }
        if (i === 0 && args.memoryS > 0) {
          const q1 = scenarios().find((s) => s.id === 'Q1')!;
          log(`memory run: Q1 for ${args.memoryS} s`);
          memory = await memoryRun(splitTargets(stacks).find((t) => t.id === 'on')!, [stacks.on.gateway, stacks.on.subgraphs, stacks.mocks], q1, env, args.memoryS, latency);
          for (const s of memory.series) log(`  ${s.process}: ${s.startMiB.toFixed(0)} → ${s.endMiB.toFixed(0)} MiB, slope ${s.slopeMiBPerMin.toFixed(2)} MiB/min`);
        }
      }
    } finally {
      await stopStacks(stacks, childPeaks);
    }

    const partial: Omit<BenchResults, 'targets'> = {
      version: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit: currentCommit(),
      label: args.label,
      mode: args.quick ? 'quick' : 'full',
      settings: { store: args.store, appendfsync: args.appendfsync, latencies: args.latencies, warmupS: args.warmupS, warmupStartS: args.warmupStartS, measureS: args.measureS, rounds: args.rounds, instances: args.instances, twin: args.twin, memoryS: args.memoryS, embedded: args.embedded },
      ...(before ? { compare: { rev: before.rev, sha: before.sha, subject: before.subject, sameDependencies: before.sameDependencies } } : {}),
      machine: {
        nproc: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        totalMemGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadAvgStart,
        loadAvgEnd: os.loadavg(),
      },
      scenarios: results,
      ...(memory ? { memory } : {}),
      childPeaks,
    };
    const full: BenchResults = { ...partial, targets: evaluateTargets(partial) };

    const resultsDir = join(BENCH, 'results');
    mkdirSync(resultsDir, { recursive: true });
    const json = `${JSON.stringify(full, null, 2)}\n`;
    writeFileSync(join(resultsDir, `${stamp}.json`), json);
    writeFileSync(join(resultsDir, 'latest.json'), json);
    const reportFile = join(BENCH, 'REPORT.md');
    const previous = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : undefined;
    const history = [...readHistory(previous), ...(args.history ? [historyRow(full)] : [])];
    const profiles = readdirSync(resultsDir).filter((f) => /^profile-.*-latest\.md$/.test(f)).sort();
    writeFileSync(reportFile, renderReport(full, history, profiles));
    log(`wrote bench/REPORT.md and bench/results/${stamp}.json`);
    for (const t of full.targets) log(`  ${t.pass ? 'PASS' : 'FAIL'} ${t.title}: ${t.detail}`);
  } finally {
    before?.remove();
    await redis?.stop();
    rmSync(env.dir, { recursive: true, force: true });
  }
}

process.on('SIGINT', () => {
  killAllChildren();
  killBenchRedis();
  removeAllCheckouts();
  process.exit(130);
});

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    killAllChildren();
    killBenchRedis();
    removeAllCheckouts();
    process.exit(1);
  },
);
