// `npm run bench`: the production topology, measured beside a peer stack (issue 24).
//
// ciigraph as production runs it: one process per service (gateway, five subgraphs), the
// consents, cases and access log in the bench's own redis-server (AOF as documented). The
// peer: a stock Apollo Gateway over the same subgraphs served plainly (bench/unenforced.ts:
// no credential, no policy, no journal), one process per service too. Both call the same
// mock registries process. Per scenario, the two stacks take turns under the same load;
// each process's CPU time is read from /proc, so the report gives CPU per request per
// process, req/s and p50/p99 from one run. Then a memory run (heap after GC over time).
// Every child is stopped on exit, error or signal (SIGINT, SIGTERM, SIGHUP).
//
// `--store memory` measures ciigraph embedded in one process with its in-memory stores (the
// development layout) instead. The older variants (twins, in-process, --compare,
// --profile) are `npm run bench:variants` (bench/run.ts).
import autocannon from 'autocannon';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { envPrefix, REGISTRY_PATHS, REGISTRY_SUBGRAPHS, SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { killAllChildren, runtimeFlagsOf, startChild, type Child } from './lib/children.ts';
import { profileMarkdown, summariseProfile } from './lib/cpuprofile.ts';
import { readProcCpuSeconds } from './lib/proc.ts';
import { changeLine, evaluateTargets, renderProductionReport, type HeapSeries, type ProcessMeasure, type ProductionResults, type ScenarioMeasure, type StackId, type StackMeasure } from './lib/production-report.ts';
import { killBenchRedis, startBenchRedis, type BenchRedis } from './lib/redis.ts';
import { checkOut, currentCommit, removeAllCheckouts, type Checkout } from './lib/revisions.ts';
import { headersOf, post, prepareEnv, seedScenarios, type Env } from './lib/seed.ts';
import { linearFit } from './lib/stats.ts';
import { scenarios, type Scenario } from './queries.ts';
import type { ServeOptions } from './serve-stack.ts';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const USAGE = `npm run bench [-- options]

  The production topology (one process per service, consents and log in Redis) beside a
  peer stack (stock Apollo Gateway, the same subgraphs without policy or journal); CPU per
  request per process, req/s, p50/p99; writes bench/PRODUCTION.md and
  bench/results/production-<timestamp>.json. Finishes within 10 minutes; Ctrl-C or SIGTERM
  stops every process it started.

  --quick          ~1.5 minutes: 4 s per stack and scenario, one round, 10 s memory run
  --duration S     measured seconds per stack and scenario, split over the rounds (default 30)
  --rounds N       turns of ciigraph then peer per scenario (default 3)
  --memory S       memory run of Q1 on ciigraph, heap after GC sampled (default 60; 0 skips it)
  --only Q1,Q2-200 scenarios (default Q1,Q2-50,Q2-200)
  --compare REV    a third stack: ciigraph as commit REV builds it (a git worktree, its own
                   bench/serve-stack.ts, same topology, Redis prefix before:), measured in the same
                   turns, so a change's before and after come from one run
  --connections N  concurrent connections of every scenario (default: each scenario's own, Q1 10)
  --store redis|memory   redis (default): production; memory: ciigraph embedded in one process
  --appendfsync everysec|always   how the bench's Redis fsyncs (default everysec); always, as
                   the access log's Redis runs in production, with the stacks acknowledging an
                   append only once on disk (AUDIT_DURABILITY=fsync)
  --profile        instead of measuring: V8 CPU profiles of every process of both stacks under
                   each scenario of --only (--duration seconds each), summarised in
                   bench/results/production-profile-<scenario>-latest.md (raw files in bench/out/)
  --no-report      do not write bench/PRODUCTION.md (results JSON only)
  --help`;

interface Args {
  durationS: number;
  rounds: number;
  memoryS: number;
  only: string[];
  store: 'redis' | 'memory';
  appendfsync: 'everysec' | 'always';
  report: boolean;
  profile: boolean;
  connections: number | undefined;
  compare: string | undefined;
}

function readArgs(): Args | undefined {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      memory: { type: 'string' },
      only: { type: 'string' },
      store: { type: 'string' },
      appendfsync: { type: 'string' },
      'no-report': { type: 'boolean' },
      profile: { type: 'boolean' },
      connections: { type: 'string' },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} is a number of seconds or rounds, got ${v}`);
    return n;
  };
  const store = values.store ?? 'redis';
  if (store !== 'redis' && store !== 'memory') throw new Error(`--store is redis or memory, got ${store}`);
  const appendfsync = values.appendfsync ?? 'everysec';
  if (appendfsync !== 'everysec' && appendfsync !== 'always') throw new Error(`--appendfsync is everysec or always, got ${appendfsync}`);
  const only = (values.only ?? 'Q1,Q2-50,Q2-200').split(',');
  const known = new Set(scenarios().map((s) => s.id));
  for (const o of only) if (!known.has(o as Scenario['id'])) throw new Error(`--only: no scenario ${o} (Q1, Q2-50, Q2-200)`);
  return {
    durationS: num(values.duration, values.quick ? 4 : 30, 'duration'),
    rounds: Math.max(1, Math.round(num(values.rounds, values.quick ? 1 : 3, 'rounds'))),
    memoryS: num(values.memory, values.quick ? 10 : 60, 'memory'),
    only,
    store,
    appendfsync,
    report: !values['no-report'],
    profile: values.profile ?? false,
    compare: values.compare,
    connections: values.connections === undefined ? undefined : Math.max(1, Math.round(num(values.connections, 0, 'connections'))),
  };
}

/** A stack under test: where to send load, and the processes whose CPU serves it. */
interface Stack {
  id: StackId;
  url: string;
  /** Own: ciigraph's (or the peer's) processes, which the targets read; the shared mocks and Redis are shown beside them. */
  processes: { name: string; own: boolean; pid: number; child?: Child }[];
}

interface Started {
  stacks: Stack[];
  mocks: Child;
  gateway: Child;
  subgraphs: Child[];
}

/** A stack's own processes: its gateway and its subgraphs, in SUBGRAPHS' order. */
const ownProcesses = (gateway: Child, subgraphs: readonly Child[]): Stack['processes'] => [
  { name: 'gateway', own: true, pid: gateway.pid, child: gateway },
  ...subgraphs.map((c, i) => ({ name: SUBGRAPHS[i]!, own: true, pid: c.pid, child: c })),
];
/** Where each subgraph process (started in SUBGRAPHS' order) answers. */
const urlsOf = (subgraphs: readonly Child[]) => Object.fromEntries(subgraphs.map((c, i) => [SUBGRAPHS[i]!, c.ready.subgraphUrls![SUBGRAPHS[i]!]])) as Record<SubgraphName, string>;

type Start = (name: string, serve: ServeOptions, extra?: Record<string, string>, checkout?: Checkout) => Promise<Child>;

/** ciigraph in production's layout: five subgraph processes and the gateway, consents, cases and log in Redis under `prefix`. */
async function startCiigraph(id: StackId, start: Start, env: Env, registries: Record<string, string>, redis: BenchRedis, prefix: string, checkout?: Checkout): Promise<{ stack: Stack; gateway: Child; subgraphs: Child[] }> {
  const stores: Record<string, string> = { REDIS_URL: redis.url, REDIS_PREFIX: prefix, ...(redis.appendfsync === 'always' ? { AUDIT_DURABILITY: 'fsync' } : {}) };
  const tag = id === 'ciigraph' ? '' : `${id}-`;
  const subgraphs = await Promise.all(SUBGRAPHS.map((name) => start(`${tag}subgraph-${name}`, { mode: 'subgraph', subgraph: name }, { GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES: env.publicKeyFile, ...registries, ...stores }, checkout)));
  const gateway = await start(`${tag}gateway`, { mode: 'gateway', subgraphUrls: urlsOf(subgraphs) }, { GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: env.privateKeyFile, ...stores }, checkout);
  return { stack: { id, url: gateway.ready.url!, processes: ownProcesses(gateway, subgraphs) }, gateway, subgraphs };
}

async function startAll(env: Env, redis: BenchRedis | undefined, store: Args['store'], before: Checkout | undefined): Promise<Started> {
  const flags = await runtimeFlagsOf();
  const beforeFlags = before ? await runtimeFlagsOf(before.dir) : flags;
  const start: Start = (name, serve, extra = {}, checkout) =>
    startChild({ name, serve, env: { ...env.childEnv, ...extra }, logDir: env.outDir, runtimeFlags: checkout ? beforeFlags : flags, timeoutMs: 90_000, ...(checkout ? { checkout: checkout.dir } : {}) }).then((c) => {
      log(`started ${name} (pid ${c.pid})`);
      return c;
    });
  const mocks = await start('mocks', { mode: 'mocks', port: 0, mockLatencyMs: 0 });
  const mocksUrl = mocks.ready.mocksUrl!;
  const registries = Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [`${envPrefix(r)}_REGISTRY_URL`, `${mocksUrl}${REGISTRY_PATHS[r]}`]));

  let ciigraph: Stack;
  let gateway: Child;
  let subgraphs: Child[] = [];
  const stacks: Stack[] = [];
  if (store === 'redis') {
    ({ stack: ciigraph, gateway, subgraphs } = await startCiigraph('ciigraph', start, env, registries, redis!, 'bench:'));
    stacks.push(ciigraph);
    if (before) stacks.push((await startCiigraph('before', start, env, registries, redis!, 'before:', before)).stack);
  } else {
    gateway = await start('embedded', { mode: 'embedded', enforcement: true }, registries);
    ciigraph = { id: 'ciigraph', url: gateway.ready.url!, processes: [{ name: 'embedded', own: true, pid: gateway.pid, child: gateway }] };
    stacks.push(ciigraph);
  }
  const peerSubgraphs = await Promise.all(SUBGRAPHS.map((name) => start(`peer-${name}`, { mode: 'peer-subgraph', subgraph: name }, registries)));
  const peerGateway = await start('peer-gateway', { mode: 'peer-gateway', subgraphUrls: urlsOf(peerSubgraphs) });
  const peer: Stack = { id: 'peer', url: peerGateway.ready.url!, processes: ownProcesses(peerGateway, peerSubgraphs) };
  stacks.push(peer);
  // The shared parts, shown beside each stack's own processes.
  for (const s of stacks) s.processes.push({ name: 'mocks', own: false, pid: mocks.pid, child: mocks });
  // Only ciigraph (and the revision compared) use the bench's Redis (consents, cases, the log).
  if (redis) for (const s of stacks) if (s.id !== 'peer') s.processes.push({ name: 'redis', own: false, pid: redis.pid });
  return { stacks, mocks, gateway, subgraphs };
}

/** The scenario's query sent to a stack by its connections for `seconds`. */
const load = (url: string, s: Scenario, headers: Record<string, string>, seconds: number) =>
  autocannon({ url: `${url}/graphql`, method: 'POST', headers, body: s.body, connections: s.connections, duration: seconds });

async function registryCalls(mocksUrl: string): Promise<Record<string, number>> {
  return ((await (await fetch(`${mocksUrl}/__calls`)).json()) as { calls: Record<string, number> }).calls;
}

/**
 * The registry calls once none has come for a while: the requests of a stack's turn that were
 * still queued when the load stopped must not call the shared mocks during the next turn.
 */
async function settledRegistryCalls(mocksUrl: string): Promise<Record<string, number>> {
  let last = await registryCalls(mocksUrl);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    await sleep(300);
    const now = await registryCalls(mocksUrl);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

interface Turn {
  requests: number;
  errors: number;
  seconds: number;
  p50: number[];
  p99: number[];
  cpuSeconds: Map<string, number>;
  calls: Record<string, number>;
}

async function turn(stack: Stack, s: Scenario, headers: Record<string, string>, seconds: number, mocksUrl: string): Promise<Turn> {
  const calls0 = await settledRegistryCalls(mocksUrl);
  const cpu0 = new Map(stack.processes.map((p) => [p.name, readProcCpuSeconds(p.pid) ?? NaN]));
  const t0 = Date.now();
  const result = await load(stack.url, s, headers, seconds);
  const loadedSeconds = (Date.now() - t0) / 1000;
  // Requests still in flight when the load stopped finish on the server: counted as sent, their work waited for.
  const calls1 = await settledRegistryCalls(mocksUrl);
  const cpuSeconds = new Map(stack.processes.map((p) => [p.name, (readProcCpuSeconds(p.pid) ?? NaN) - cpu0.get(p.name)!]));
  const requests = result.requests.sent;
  return {
    requests,
    errors: result.errors + result.non2xx + result.timeouts,
    seconds: loadedSeconds,
    p50: [result.latency.p50],
    p99: [result.latency.p99],
    cpuSeconds,
    calls: Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [r, (calls1[r] ?? 0) - (calls0[r] ?? 0)])),
  };
}

async function measure(s: Scenario, started: Started, env: Env, args: Args): Promise<ScenarioMeasure> {
  const headers = headersOf(env, s);
  const mocksUrl = started.mocks.ready.mocksUrl!;
  const turns = new Map<StackId, Turn[]>();
  // A short warm-up of each, then the turns: ciigraph, peer, peer, ciigraph, ... so drift hits both alike.
  for (const stack of started.stacks) {
    const check = await post(stack.url, headers, s.body);
    if (check.status !== 200) throw new Error(`${stack.id} answered ${s.id} with ${check.status}: ${check.text.slice(0, 300)}`);
    await load(stack.url, s, headers, Math.min(3, args.durationS));
  }
  const part = args.durationS / args.rounds;
  for (let r = 0; r < args.rounds; r++) {
    const order = r % 2 === 0 ? started.stacks : [...started.stacks].reverse();
    for (const stack of order) {
      const t = await turn(stack, s, headers, part, mocksUrl);
      turns.set(stack.id, [...(turns.get(stack.id) ?? []), t]);
    }
  }
  const stacks: StackMeasure[] = started.stacks.map((stack) => {
    const ts = turns.get(stack.id)!;
    const requests = ts.reduce((n, t) => n + t.requests, 0);
    const seconds = ts.reduce((n, t) => n + t.seconds, 0);
    const processes: ProcessMeasure[] = stack.processes.map((p) => ({
      name: p.name,
      own: p.own,
      cpuMsPerRequest: (1000 * ts.reduce((n, t) => n + t.cpuSeconds.get(p.name)!, 0)) / requests,
    }));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      stack: stack.id,
      requests,
      seconds,
      reqPerSec: requests / seconds,
      p50Ms: median(ts.flatMap((t) => t.p50)),
      p99Ms: median(ts.flatMap((t) => t.p99)),
      errors: ts.reduce((n, t) => n + t.errors, 0),
      processes,
      registryCallsPerRequest: Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [r, ts.reduce((n, t) => n + (t.calls[r] ?? 0), 0) / requests])),
    };
  });
  for (const x of stacks) log(`  ${s.id} ${x.stack}: ${x.reqPerSec.toFixed(1)} req/s, p99 ${x.p99Ms} ms, CPU ms/req ${x.processes.map((p) => `${p.name} ${p.cpuMsPerRequest.toFixed(2)}`).join(', ')}`);
  const [after, before] = (['ciigraph', 'before'] as const).map((id) => stacks.find((x) => x.stack === id));
  if (after && before) log(`  ${s.id} change: ${changeLine(after, before)}`);
  return { scenario: s.id, title: s.title, persons: s.persons.length, stacks };
}

/** Q1 on ciigraph for `seconds`, the heap of the gateway and each subgraph after a full GC every few seconds. */
async function memoryRun(started: Started, env: Env, seconds: number): Promise<HeapSeries[]> {
  const q1 = scenarios()[0]!;
  const procs = [{ name: 'gateway', child: started.gateway }, ...started.subgraphs.map((c) => ({ name: c.name.replace(/^subgraph-/, ''), child: c }))];
  const samples = new Map(procs.map((p) => [p.name, [] as { x: number; y: number }[]]));
  const t0 = Date.now();
  const sample = async () => {
    for (const p of procs) {
      const m = await p.child.command({ cmd: 'memory', gc: true });
      samples.get(p.name)!.push({ x: (Date.now() - t0) / 60_000, y: Number(m.heapUsed) / 2 ** 20 });
    }
  };
  const loaded = load(started.stacks[0]!.url, q1, headersOf(env, q1), seconds);
  // The first quarter is warm-up (JIT, caches filling): sampled from there on.
  await sleep((seconds * 1000) / 4);
  while (Date.now() - t0 < seconds * 1000 - 500) {
    await sample();
    await sleep(Math.max(1000, (seconds * 1000) / 8));
  }
  await loaded;
  await sample();
  return procs.map((p) => {
    const pts = samples.get(p.name)!;
    return { name: p.name, samplesMiB: pts.map((q) => Math.round(q.y * 10) / 10), slopeMiBPerMin: linearFit(pts).slope };
  });
}

/**
 * Each stack in turn under the scenario, every process of it profiled (node:inspector) over
 * the loaded window only: where each process's CPU per request goes, ciigraph beside the peer.
 */
async function profileScenario(s: Scenario, started: Started, env: Env, args: Args, stamp: string): Promise<string> {
  const headers = headersOf(env, s);
  const out = [
    `# CPU profiles: ${s.id}, ${s.title}`,
    '',
    `${stamp}, commit \`${currentCommit()}\`, ${os.availableParallelism()} CPUs, Node ${process.version}, store ${args.store}${args.store === 'redis' ? ` (AOF ${args.appendfsync})` : ''}. ${args.durationS} s of ${s.id} (${s.connections} connections) against each stack after a 3 s warm-up; the V8 sampling profiler of each process covers the loaded window only. Written by \`npm run bench -- --profile\`; the profiler's cost inflates every number alike.`,
    '',
  ];
  for (const stack of started.stacks) {
    await load(stack.url, s, headers, 3);
    const profiled = stack.processes.filter((p) => p.own);
    for (const p of profiled) await p.child!.command({ cmd: 'profile-start' });
    const result = await load(stack.url, s, headers, args.durationS);
    await sleep(300);
    const n = result.requests.sent;
    out.push(`## ${stack.id}: ${(n / args.durationS).toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`, '');
    for (const p of profiled) {
      const file = join(env.outDir, `${stack.id}-${p.name}-${s.id}.cpuprofile`);
      await p.child!.command({ cmd: 'profile-stop', file }, 120_000);
      const summary = summariseProfile(file);
      out.push(profileMarkdown(`${stack.id} ${p.name}: ${(summary.busyMs / n).toFixed(2)} ms CPU per request`, summary));
      log(`  ${stack.id} ${p.name}: ${(summary.busyMs / n).toFixed(2)} ms/request (${file})`);
    }
  }
  return out.join('\n');
}

let redis: BenchRedis | undefined;
let envDir: string | undefined;
function stopEverything(): void {
  killAllChildren();
  removeAllCheckouts();
  killBenchRedis();
  if (envDir) rmSync(envDir, { recursive: true, force: true });
}

async function main(): Promise<number> {
  let args: Args | undefined;
  try {
    args = readArgs();
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!args) {
    console.log(USAGE);
    return 0;
  }
  const began = Date.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const env = prepareEnv(stamp);
  envDir = env.dir;
  if (args.store === 'redis') {
    redis = await startBenchRedis(args.appendfsync);
    log(`redis-server pid ${redis.pid} (AOF ${args.appendfsync})`);
  }
  if (args.compare && args.store !== 'redis') throw new Error('--compare measures the production topology: it needs --store redis');
  const before = args.compare ? checkOut(args.compare) : undefined;
  if (before) log(`before: ${before.sha} ${before.subject}${before.sameDependencies ? '' : ' (its package-lock.json differs: run with this checkout\'s node_modules)'}`);
  const started = await startAll(env, redis, args.store, before);
  log('opening the cases and granting the consents');
  const list = scenarios()
    .filter((s) => args.only.includes(s.id))
    .map((s) => (args.connections ? { ...s, connections: args.connections } : s));
  for (const stack of started.stacks) if (stack.id !== 'peer') await seedScenarios(stack.url, env, list);
  if (args.profile) {
    const dir = join(BENCH, 'results');
    mkdirSync(dir, { recursive: true });
    for (const s of list) {
      log(`profiling ${s.id}: ${s.title}`);
      const md = await profileScenario(s, started, env, args, stamp);
      writeFileSync(join(dir, `production-profile-${s.id}-latest.md`), md);
      log(`wrote bench/results/production-profile-${s.id}-latest.md`);
    }
    return 0;
  }
  const measured: ScenarioMeasure[] = [];
  for (const s of list) {
    log(`measuring ${s.id}: ${s.title}`);
    measured.push(await measure(s, started, env, args));
  }
  const heaps = args.memoryS > 0 && args.store === 'redis' ? (log(`memory run: Q1 for ${args.memoryS} s`), await memoryRun(started, env, args.memoryS)) : [];
  const results: ProductionResults = {
    at: new Date().toISOString(),
    commit: currentCommit(),
    cpus: os.availableParallelism(),
    node: process.version,
    store: args.store,
    ...(args.store === 'redis' ? { appendfsync: args.appendfsync } : {}),
    ...(before ? { before: { rev: before.rev, sha: before.sha, subject: before.subject } } : {}),
    durationS: args.durationS,
    wallSeconds: (Date.now() - began) / 1000,
    scenarios: measured,
    heaps,
  };
  const dir = join(BENCH, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `production-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'production-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (args.report) writeFileSync(join(BENCH, 'PRODUCTION.md'), renderProductionReport(results));
  for (const t of evaluateTargets(results)) log(`  ${t.pass ? 'PASS' : 'FAIL'} ${t.title}: ${t.detail}`);
  log(`done in ${Math.round(results.wallSeconds)} s; wrote bench/results/production-${stamp}.json${args.report ? ' and bench/PRODUCTION.md' : ''}`);
  return 0;
}

// Stopped at any moment, the bench stops what it started: children by pid, its redis-server.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping every process the bench started`);
    stopEverything();
    process.exit(130);
  });
}

main().then(
  (code) => {
    stopEverything();
    process.exit(code);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    stopEverything();
    process.exit(1);
  },
);
