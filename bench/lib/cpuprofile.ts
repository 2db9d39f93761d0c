// Summarises a V8 .cpuprofile (node --cpu-prof): where the time went, by function (self and
// inclusive) and by package (node_modules/<pkg>, the project's own directories, node internals).
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle (total minus "(idle)"). */
  busyMs: number;
  /** The profiler's own samples (under node:inspector), not counted above. */
  profilerMs: number;
  byPackageSelf: ProfileRow[];
  topSelf: ProfileRow[];
  topInclusive: ProfileRow[];
}

const ROOT_URL = new URL('../..', import.meta.url).href; // file:///.../ (the repository)

/** Where a script lives: `@apollo/gateway`, `graphql`, `project:subgraphs/shared/server.ts`, `node:internal/...`. */
export function packageOf(url: string, functionName: string, rootUrl = ROOT_URL): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts.slice(0, parts[0] === 'internal' ? 2 : 1).join('/')}`;
  }
  if (url.startsWith(rootUrl)) return `project:${url.slice(rootUrl.length)}`;
  return url.replace(/^file:\/\//, '');
}

// Project files run through tsx: their line numbers are the transpiled output's, so only the
// file is named; dependencies keep file:line.
const frameKey = (f: CallFrame) => {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  if (f.url.startsWith(ROOT_URL) && !f.url.includes('/node_modules/')) return `${name} ${f.url.slice(ROOT_URL.length)}`;
  const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '');
  return `${name} ${file}:${f.lineNumber + 1}`;
};

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfByNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + dt);
  }
  let total = 0;
  let idle = 0;
  const selfByFn = new Map<string, number>();
  const selfByPkg = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // Samples under node:inspector are the profiler's own work (serve-stack's session): left out.
  const underInspector = (id: number) => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur)!.callFrame.url === 'node:inspector') return true;
    return false;
  };
  let profilerMs = 0;
  for (const [id, ms] of selfByNode) {
    const node = byId.get(id)!;
    if (underInspector(id)) {
      profilerMs += ms;
      continue;
    }
    total += ms;
    if (node.callFrame.functionName === '(idle)') idle += ms;
    const key = frameKey(node.callFrame);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + ms);
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + ms);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = frameKey(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>, skip: (k: string) => boolean = () => false) =>
    [...m]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: Math.round((1000 * ms) / (busy || 1)) / 10 }));
  const meta = (k: string) => k === '(idle)' || k === '(root)' || k === '(program)';
  return {
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    profilerMs: Math.round(profilerMs),
    byPackageSelf: rows(selfByPkg, meta),
    topSelf: rows(selfByFn, meta),
    topInclusive: rows(inclusive, (k) => meta(k) || k.startsWith('(')),
  };
}

export function profileMarkdown(title: string, s: ProfileSummary): string {
  const table = (rows: ProfileRow[]) =>
    ['| | ms | % of busy |', '| --- | ---: | ---: |', ...rows.map((r) => `| \`${r.name.replaceAll('|', '\\|')}\` | ${r.ms} | ${r.pct} |`)].join('\n');
  return [
    `### ${title}`,
    '',
    `Sampled ${s.totalMs} ms, busy (not idle) ${s.busyMs} ms (the profiler's own ${s.profilerMs} ms left out).`,
    '',
    '**Self time by package**',
    '',
    table(s.byPackageSelf.slice(0, 15)),
    '',
    '**Top functions by self time**',
    '',
    table(s.topSelf),
    '',
    '**Top functions by inclusive time**',
    '',
    table(s.topInclusive),
    '',
  ].join('\n');
}
