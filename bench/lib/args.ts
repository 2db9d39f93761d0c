// Command-line options of `npm run bench`.

export interface BenchArgs {
  quick: boolean;
  label: string;
  /** Registry latencies to measure, ms. */
  latencies: number[];
  /** Warm-up per variant and scenario, s. */
  warmupS: number;
  /** Warm-up of every process instance with every scenario before any measurement, s per scenario and instance. */
  warmupStartS: number;
  /** Measured time per variant and scenario, s, split over `rounds` interleaved rounds. */
  measureS: number;
  /** Rounds of A B C … C B A (each round runs every variant twice, in mirrored order). */
  rounds: number;
  /** Process instances per split variant (on, off, before); round r runs on instance r mod n. */
  instances: number;
  /**
   * The enforcement-off stack in the same processes as the enforcement-on one (twins), so
   * per-process bias cancels out of the policy overhead; false: each in processes of its own.
   */
  twin: boolean;
  /** Length of the memory-growth run, s. */
  memoryS: number;
  /** Which scenarios (Q1, Q2-50, Q2-200). */
  only: string[] | undefined;
  /** Also measure the embedded layout (everything in one process) for Q1. */
  embedded: boolean;
  /** A git revision whose stack is measured as the "before" variant, in the same rounds. */
  compare: string | undefined;
  /** Where the enforcing stacks (on, before) keep consents and the access log. */
  store: 'memory' | 'redis';
  /** --store redis: how the bench's Redis fsyncs its append-only file; always: the stacks also ask durable appends (AUDIT_DURABILITY=fsync), as production. */
  appendfsync: 'everysec' | 'always';
  /** Append this run to the History section of REPORT.md. */
  history: boolean;
  /** Profile mode: CPU profiles of one Q1 run instead of the report. */
  profile: boolean;
  profileS: number;
  help: boolean;
}

export const USAGE = `npm run bench [-- options]

  --quick                 ~1.5 minute smoke run: 0 ms registry latency only, no embedded
                          layout, short warm-ups and runs, 30 s memory run
  --label "text"          names this run in the report's History (e.g. "before plan cache")
  --latencies 0,5         registry latencies to measure, ms (default 0,5; quick 0)
  --warmup S              warm-up per variant and scenario (default 1.5; quick 0.5)
  --warmup-start S        before anything is measured, S seconds of every scenario on every
                          process instance (default 4; quick 0): the JIT keeps speeding the
                          gateway up for some 20 s of load
  --duration S            measured seconds per variant and scenario (default 32; quick 2)
  --rounds N              the measured time is split over N rounds of A B C C B A, so drift
                          of a shared machine hits every variant alike (default 8; quick 2)
  --instances N           process instances of each split variant (on, off, --compare's
                          before); round r runs on instance r mod N, so one instance that
                          happens to run slower (JIT, memory layout) does not bias a whole
                          variant (default 2; quick 1)
  --separate              run the enforcement-off stack in processes of its own instead of
                          as the twin of the enforcement-on stack in the same gateway and
                          subgraphs processes (the default: what makes one process
                          instance faster than another then hits on and off alike)
  --memory S              memory-growth run of Q1 (default 60; quick 30; 0 skips it)
  --only Q1,Q2-50,Q2-200  scenarios to run (default all)
  --no-embedded           skip the embedded-layout rows (Q1 at the first latency; default
                          on, off with --quick; --embedded turns them on)
  --compare REV           before/after in one run: also start REV's own stack (a git
                          worktree of REV, its bench/serve-stack.ts; gateway | subgraphs,
                          enforcement on, the same mocks) and measure it as the "before"
                          variant in the same rounds; the working tree (dirty or not) is
                          the "after". Adds a change line per scenario, a Before/after
                          section and "vs <sha>" in the History row
  --store memory|redis    where the enforcing stacks (on, --compare's before) keep consents
                          and the access log (default memory, as npm start; redis: the
                          bench's own redis-server with AOF, as production runs, one key
                          prefix per stack, its CPU counted in theirs)
  --appendfsync everysec|always
                          with --store redis: how the bench's Redis fsyncs (default everysec);
                          always, as the access log's Redis runs in production, and the
                          stacks acknowledge an append only once on disk (AUDIT_DURABILITY=fsync)
  --no-history            do not append a row to the History section of bench/REPORT.md
  --profile [S]           instead of the report: CPU-profile the gateway, the subgraphs, the
                          mocks and the in-process schema during S seconds of Q1 (default 10;
                          --only Q2-200 profiles that scenario instead); writes
                          bench/results/profile-<scenario>-<timestamp>.md
`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const a: BenchArgs = {
    quick,
    label: '',
    latencies: quick ? [0] : [0, 5],
    warmupS: quick ? 0.5 : 1.5,
    warmupStartS: quick ? 0 : 4,
    measureS: quick ? 2 : 32,
    rounds: quick ? 2 : 8,
    instances: quick ? 1 : 2,
    twin: true,
    memoryS: quick ? 30 : 60,
    only: undefined,
    embedded: !quick,
    compare: undefined,
    store: 'memory',
    appendfsync: 'everysec',
    history: true,
    profile: false,
    profileS: 10,
    help: false,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => argv[++i];
    switch (arg) {
      case '--quick':
        break;
      case '--label':
        a.label = next() ?? '';
        break;
      case '--latencies':
        a.latencies = (next() ?? '').split(',').filter(Boolean).map((v) => num('--latencies', v));
        break;
      case '--warmup':
        a.warmupS = num(arg, next());
        break;
      case '--warmup-start':
        a.warmupStartS = num(arg, next());
        break;
      case '--duration':
        a.measureS = num(arg, next());
        break;
      case '--memory':
        a.memoryS = num(arg, next());
        break;
      case '--only':
        a.only = (next() ?? '').split(',').filter(Boolean);
        break;
      case '--no-embedded':
        a.embedded = false;
        break;
      case '--embedded':
        a.embedded = true;
        break;
      case '--rounds':
        a.rounds = Math.max(1, Math.round(num(arg, next())));
        break;
      case '--instances':
        a.instances = Math.max(1, Math.round(num(arg, next())));
        break;
      case '--separate':
        a.twin = false;
        break;
      case '--compare': {
        const rev = next();
        if (!rev || rev.startsWith('--')) throw new Error('--compare needs a git revision (a sha, a branch, HEAD~1...)');
        a.compare = rev;
        break;
      }
      case '--store': {
        const store = next();
        if (store !== 'memory' && store !== 'redis') throw new Error('--store is memory or redis');
        a.store = store;
        break;
      }
      case '--appendfsync': {
        const v = next();
        if (v !== 'everysec' && v !== 'always') throw new Error('--appendfsync is everysec or always');
        a.appendfsync = v;
        break;
      }
      case '--no-history':
        a.history = false;
        break;
      case '--profile': {
        a.profile = true;
        const v = argv[i + 1];
        if (v !== undefined && /^\d+(\.\d+)?$/.test(v)) a.profileS = num(arg, next());
        break;
      }
      case '--help':
      case '-h':
        a.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    }
  }
  if (!a.latencies.length) throw new Error('--latencies needs at least one value');
  if (a.compare && a.profile) throw new Error('--compare measures a before/after for the report; --profile does not write one');
  return a;
}
