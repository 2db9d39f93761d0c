// Memory of a process, from /proc/<pid>/status (Linux): resident set now and its peak.
import { readFileSync } from 'node:fs';

export interface ProcMemory {
  /** Resident set size, MiB. */
  rssMiB: number;
  /** Peak resident set size since the process started (VmHWM), MiB. */
  hwmMiB: number;
}

export function readProcMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** Samples the RSS of some processes every `intervalMs` until stopped. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  readonly samples: { t: number; byPid: Record<number, number> }[] = [];
  private readonly t0 = Date.now();

  constructor(
    private readonly pids: readonly number[],
    private readonly intervalMs = 250,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): void {
    const byPid: Record<number, number> = {};
    for (const pid of this.pids) {
      const m = readProcMemory(pid);
      if (m) byPid[pid] = m.rssMiB;
    }
    this.samples.push({ t: (Date.now() - this.t0) / 1000, byPid });
  }

  stop(): this {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this;
  }

  peak(pid: number): number {
    let max = NaN;
    for (const s of this.samples) {
      const v = s.byPid[pid];
      if (v !== undefined && !(v <= max)) max = v;
    }
    return max;
  }

  series(pid: number): { t: number; rssMiB: number }[] {
    return this.samples.flatMap((s) => (s.byPid[pid] === undefined ? [] : [{ t: s.t, rssMiB: s.byPid[pid]! }]));
  }
}

const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** CPU time (user + system) a process has used so far, seconds. */
export function readProcCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}
