// `npm run bench`: starts the stack under test in child processes, drives it with autocannon
// from this process, and writes bench/REPORT.md and bench/results/<timestamp>.json (+ latest.json).
// See `npm run bench -- --help` and bench/REPORT.md's Setup section for what is measured.
import autocannon, { type Result } from 'autocannon';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devSecret, issueDevToken } from '../lib/auth/dev-issuer.ts';
import { loadConfig, REGISTRY_SUBGRAPHS } from '../lib/config.ts';
import { parseArgs, USAGE, type BenchArgs } from './lib/args.ts';
import { killAllChildren, startChild, type Child } from './lib/children.ts';
import { profileMarkdown, summariseProfile } from './lib/cpuprofile.ts';
import { RssSampler } from './lib/proc.ts';
import { evaluateTargets, historyRow, readHistory, renderReport, variant } from './lib/report.ts';
import { linearFit, percentileOfSorted } from './lib/stats.ts';
import type { BenchResults, Calls, MemoryResult, ScenarioResult, VariantId, VariantResult } from './lib/types.ts';
import { CONSENTED_CATEGORIES, GRANT_CONSENT, PAINTER, REQUESTER, scenarios, type Scenario } from './queries.ts';

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
}

interface Env {
  dir: string;
  outDir: string;
  headers: Record<string, string>;
  childEnv: Record<string, string>;
  privateKeyFile: string;
  publicKeyFile: string;
}

// ---------------------------------------------------------------------------------------------
// Setup

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

function prepareEnv(stamp: string): Env {
  const dir = mkdtempSync(join(os.tmpdir(), 'ciigraph-bench-'));
  const outDir = join(BENCH, 'out', stamp);
  mkdirSync(outDir, { recursive: true });
  const secretFile = join(dir, 'dev-token-secret');
  const consentKeyFile = join(dir, 'consent-signing-key');
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKeyFile = join(dir, 'gateway-credential.key');
  const publicKeyFile = join(dir, 'gateway-credential.pub');
  writeFileSync(privateKeyFile, privateKey, { mode: 0o600 });
  writeFileSync(publicKeyFile, publicKey);
  const childEnv = { DEV_TOKEN_SECRET_FILE: secretFile, CONSENT_SIGNING_KEY_FILE: consentKeyFile };
  const config = loadConfig({ NODE_ENV: 'test', ...childEnv });
  const token = issueDevToken(devSecret(secretFile), { ...REQUESTER }, {
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    ttlSeconds: 6 * 3600,
  });
  return {
    dir,
    outDir,
    childEnv,
    privateKeyFile,
    publicKeyFile,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-purpose': REQUESTER.purpose,
      'x-case-reference': REQUESTER.case,
    },
  };
}

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

async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
  const text = await res.text();
  let json: { data?: unknown; errors?: { message: string; extensions?: { code?: string; category?: string } }[] } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // reported through status/errors
  }
  return { status: res.status, text, json };
}

/** Every person of the queries gets a consent through the gateway, so nothing is denied. */
async function seedConsents(url: string, headers: Record<string, string>, persons: readonly string[]): Promise<void> {
  const validUntil = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const queue = [...persons];
  const worker = async () => {
    for (let avs = queue.shift(); avs; avs = queue.shift()) {
      const body = JSON.stringify({
        query: GRANT_CONSENT,
        variables: {
          input: { avs, recipients: ['AI'], categories: CONSENTED_CATEGORIES, purpose: 'cii', validUntil, evidence: randomBytes(32).toString('hex') },
        },
      });
      const { status, json } = await post(url, headers, body);
      if (status !== 200 || json.errors?.length) throw new Error(`grantConsent for ${avs} failed: ${status} ${JSON.stringify(json.errors)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
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
    await sleep(150);
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
    const r = await post(t.url, env.headers, s.body);
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
    for (let i = 0; i < 3; i++) await post(t.url, env.headers, s.body);
    quiet.set(t.id, perRequest(await readCalls(t.mocksUrl), 3));

    if (args.warmupS > 0) await load(t, s, env.headers, args.warmupS, false);
    acc.set(t.id, {
      completed: 0, sent: 0, seconds: 0, segments: [], latencies: [], errors: 0, timeouts: 0, non2xx: 0, mismatches: 0,
      acP50: [], acP99: [], calls: emptyCalls(), peak: NaN, backendPeak: NaN,
    });
  }

  // Two halves, ABC…CBA, so slow drift of the machine hits every variant alike.
  const order = [...targets, ...[...targets].reverse()];
  const half = args.measureS / 2;
  const pids = [...new Set(targets.flatMap((t) => [t.pid, ...(t.backendPid ? [t.backendPid] : [])]))];
  for (const t of order) {
    const a = acc.get(t.id)!;
    await quiesce(t.mocksUrl);
    await resetCalls(t.mocksUrl);
    const sampler = new RssSampler(pids, 250).start();
    const { result, latencies } = await load(t, s, env.headers, half, true);
    sampler.stop();
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
    ratios: {},
  };
  const rps = (id: VariantId) => variant(result, id)?.reqPerSec;
  const p = (id: VariantId, k: 'p50' | 'p99') => variant(result, id)?.latencyMs[k];
  const on = rps('on'), off = rps('off'), inproc = rps('in-process'), eon = rps('embedded-on'), eoff = rps('embedded-off');
  if (on !== undefined && off !== undefined) result.ratios.policyOverhead = 1 - on / off;
  if (eon !== undefined && eoff !== undefined) result.ratios.embeddedPolicyOverhead = 1 - eon / eoff;
  if (on !== undefined && inproc !== undefined) result.ratios.inProcessSpeedup = inproc / on;
  if (off !== undefined && inproc !== undefined) result.ratios.inProcessSpeedupOverOff = inproc / off;
  if (p('on', 'p99') !== undefined && p('in-process', 'p99') !== undefined) {
    result.ratios.p99VsInProcess = p('on', 'p99')! / p('in-process', 'p99')!;
    result.ratios.p50VsInProcess = p('on', 'p50')! / p('in-process', 'p50')!;
  }
  const line = variants.map((v) => `${v.variant} ${v.reqPerSec.toFixed(1)} req/s p99 ${v.latencyMs.p99.toFixed(1)} ms`).join(' | ');
  log(`  ${s.id} @ ${latencyMs} ms: ${line}${result.sameData ? '' : ' (DATA DIFFERS)'}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Children per latency level

interface Level {
  children: Child[];
  targets: Target[];
  /** Target ids for which embedded rows are measured (Q1 at the first latency). */
  embedded: Target[];
}

async function startLevel(latencyMs: number, env: Env, withEmbedded: boolean, nodeArgs: (name: string) => string[] = () => []): Promise<Level> {
  const children: Child[] = [];
  const start = async (name: string, serve: Parameters<typeof startChild>[0]['serve'], extraEnv: Record<string, string> = {}) => {
    const c = await startChild({ name, serve, env: { ...env.childEnv, ...extraEnv }, logDir: env.outDir, nodeArgs: nodeArgs(name) });
    children.push(c);
    return c;
  };
  try {
    const pub = { GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE: env.publicKeyFile };
    const priv = { GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: env.privateKeyFile };
    const [subOn, subOff] = await Promise.all([
      start(`L${latencyMs}-subgraphs-on`, { mode: 'subgraphs', mockLatencyMs: latencyMs, enforcement: true }, pub),
      start(`L${latencyMs}-subgraphs-off`, { mode: 'subgraphs', mockLatencyMs: latencyMs, enforcement: false }, pub),
    ]);
    const [gwOn, gwOff, inproc, embOn, embOff] = await Promise.all([
      start(`L${latencyMs}-gateway-on`, { mode: 'gateway', subgraphUrls: subOn.ready.subgraphUrls! }, priv),
      start(`L${latencyMs}-gateway-off`, { mode: 'gateway', subgraphUrls: subOff.ready.subgraphUrls! }, priv),
      start(`L${latencyMs}-in-process`, { mode: 'in-process', registryBaseUrl: subOn.ready.mocksUrl! }),
      withEmbedded ? start(`L${latencyMs}-embedded-on`, { mode: 'embedded', mockLatencyMs: latencyMs, enforcement: true }) : undefined,
      withEmbedded ? start(`L${latencyMs}-embedded-off`, { mode: 'embedded', mockLatencyMs: latencyMs, enforcement: false }) : undefined,
    ]);
    const targets: Target[] = [
      { id: 'on', url: gwOn.ready.url!, mocksUrl: subOn.ready.mocksUrl!, pid: gwOn.pid, backendPid: subOn.pid },
      { id: 'off', url: gwOff.ready.url!, mocksUrl: subOff.ready.mocksUrl!, pid: gwOff.pid, backendPid: subOff.pid },
      { id: 'in-process', url: inproc.ready.url!, mocksUrl: subOn.ready.mocksUrl!, pid: inproc.pid },
    ];
    const embedded: Target[] = [];
    if (embOn && embOff) {
      embedded.push(
        { id: 'embedded-on', url: embOn.ready.url!, mocksUrl: embOn.ready.mocksUrl!, pid: embOn.pid },
        { id: 'embedded-off', url: embOff.ready.url!, mocksUrl: embOff.ready.mocksUrl!, pid: embOff.pid },
      );
    }
    for (const t of [...targets, ...embedded]) await waitFor(t.id === 'in-process' ? `${t.url}/healthz` : `${t.url}/readyz`);
    return { children, targets, embedded };
  } catch (e) {
    await Promise.all(children.map((c) => c.stop()));
    throw e;
  }
}

async function stopLevel(level: Level, peaks: Record<string, number>): Promise<void> {
  await Promise.all(level.children.map((c) => c.stop()));
  for (const c of level.children) if (c.peakMiB !== undefined) peaks[c.name] = Math.round(c.peakMiB * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Memory growth

async function memoryRun(t: Target, s: Scenario, env: Env, seconds: number, latencyMs: number): Promise<MemoryResult> {
  const pids = [t.pid, ...(t.backendPid ? [t.backendPid] : [])];
  const sampler = new RssSampler(pids, 1000).start();
  const { result } = await load(t, s, env.headers, seconds, false);
  sampler.stop();
  const series = pids.map((pid, i) => {
    const samples = sampler.series(pid);
    const tEnd = samples.at(-1)?.t ?? 0;
    const second = samples.filter((p) => p.t >= tEnd / 2);
    const fit = linearFit(second.map((p) => ({ x: p.t / 60, y: p.rssMiB })));
    return {
      process: i === 0 ? 'gateway' : 'subgraphs + mocks',
      pid,
      startMiB: samples[0]?.rssMiB ?? NaN,
      endMiB: samples.at(-1)?.rssMiB ?? NaN,
      peakMiB: Math.max(...samples.map((p) => p.rssMiB)),
      slopeMiBPerMin: fit.slope,
      r2: fit.r2,
      samples: samples.map((p) => ({ t: Math.round(p.t * 10) / 10, rssMiB: Math.round(p.rssMiB * 10) / 10 })),
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
  const q1 = scenarios().find((s) => s.id === 'Q1')!;
  const latency = args.latencies[0]!;
  const level = await startLevel(latency, env, false);
  const out: string[] = [
    `# CPU profile: Q1 @ ${latency} ms registry latency`,
    '',
    `${stamp}, commit \`${gitCommit()}\`, ${os.availableParallelism()} CPUs, Node ${process.version}. ${args.profileS} s of Q1 (${q1.connections} connections) against each target after a warm-up; the V8 sampling profiler (node:inspector, 0.5 ms) covers the measured window only. Split layout: the gateway process and the subgraphs + mocks process are profiled separately, during the same run.`,
    '',
  ];
  try {
    await seedConsents(level.targets[0]!.url, env.headers, [PAINTER]);
    const byId = (id: VariantId) => level.targets.find((t) => t.id === id)!;
    const child = (name: string) => level.children.find((c) => c.name === `L${latency}-${name}`)!;
    const runs: { target: Target; profiled: { name: string; label: string }[] }[] = [
      { target: byId('on'), profiled: [{ name: 'gateway-on', label: 'gateway (enforcement on)' }, { name: 'subgraphs-on', label: 'subgraphs + mocks (enforcement on)' }] },
      { target: byId('in-process'), profiled: [{ name: 'in-process', label: 'in-process schema' }, { name: 'subgraphs-on', label: 'mocks (serving the in-process schema)' }] },
    ];
    for (const { target, profiled } of runs) {
      await load(target, q1, env.headers, 3, false);
      for (const p of profiled) await child(p.name).command({ cmd: 'profile-start' });
      const { result } = await load(target, q1, env.headers, args.profileS, true);
      const rps = result.requests.total / result.duration;
      out.push(`## ${target.id}: ${rps.toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`, '');
      for (const p of profiled) {
        const file = join(env.outDir, `${p.name}-${target.id}.cpuprofile`);
        await child(p.name).command({ cmd: 'profile-stop', file });
        const summary = summariseProfile(file);
        out.push(profileMarkdown(`${p.label} (${(summary.busyMs / 1000 / result.duration).toFixed(2)} CPU cores busy on average; ${(summary.busyMs / result.requests.total).toFixed(2)} ms CPU per request)`, summary));
        log(`  profile ${p.name}: ${file}`);
      }
    }
  } finally {
    await stopLevel(level, {});
  }
  const resultsDir = join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `profile-${stamp}.md`);
  writeFileSync(file, out.join('\n'));
  writeFileSync(join(resultsDir, 'profile-latest.md'), out.join('\n'));
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
  try {
    if (args.profile) return await profileRun(args, env, stamp);

    const all = scenarios().filter((s) => !args.only || args.only.includes(s.id));
    if (!all.length) throw new Error(`--only matches no scenario (Q1, Q2-50, Q2-200)`);
    const persons = [...new Set(scenarios().flatMap((s) => s.persons))];
    const results: ScenarioResult[] = [];
    const childPeaks: Record<string, number> = {};
    let memory: MemoryResult | undefined;

    for (const [i, latency] of args.latencies.entries()) {
      const withEmbedded = args.embedded && i === 0 && all.some((s) => s.id === 'Q1');
      log(`registry latency ${latency} ms: starting children${withEmbedded ? ' (split + in-process + embedded)' : ' (split + in-process)'}`);
      const level = await startLevel(latency, env, withEmbedded);
      try {
        for (const t of [...level.targets, ...level.embedded]) if (t.id !== 'in-process') await seedConsents(t.url, env.headers, persons);
        for (const s of all) {
          const targets = s.id === 'Q1' ? [...level.targets, ...level.embedded] : level.targets;
          results.push(await measureScenario(s, latency, targets, env, args));
        }
        if (i === 0 && args.memoryS > 0) {
          const q1 = scenarios().find((s) => s.id === 'Q1')!;
          log(`memory run: Q1 for ${args.memoryS} s`);
          memory = await memoryRun(level.targets.find((t) => t.id === 'on')!, q1, env, args.memoryS, latency);
          for (const s of memory.series) log(`  ${s.process}: ${s.startMiB.toFixed(0)} → ${s.endMiB.toFixed(0)} MiB, slope ${s.slopeMiBPerMin.toFixed(2)} MiB/min`);
        }
      } finally {
        await stopLevel(level, childPeaks);
      }
    }

    const partial: Omit<BenchResults, 'targets'> = {
      version: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit: gitCommit(),
      label: args.label,
      mode: args.quick ? 'quick' : 'full',
      settings: { latencies: args.latencies, warmupS: args.warmupS, measureS: args.measureS, memoryS: args.memoryS, embedded: args.embedded },
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
    writeFileSync(reportFile, renderReport(full, history));
    log(`wrote bench/REPORT.md and bench/results/${stamp}.json`);
    for (const t of full.targets) log(`  ${t.pass ? 'PASS' : 'FAIL'} ${t.title}: ${t.detail}`);
  } finally {
    rmSync(env.dir, { recursive: true, force: true });
  }
}

process.on('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    killAllChildren();
    process.exit(1);
  },
);
