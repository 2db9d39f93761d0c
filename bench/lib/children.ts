// Starts bench/serve-stack.ts in a child process (node --import tsx, so the child's pid IS
// the server's), waits for its one JSON line, and stops it by pid. The serve-stack.ts is this
// checkout's, or another revision's worktree's (--compare), run from that checkout.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServeOptions, ServeReady } from '../serve-stack.ts';
import { readProcMemory } from './proc.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Child {
  name: string;
  ready: ServeReady;
  pid: number;
  process: ChildProcess;
  /** Stops the child (SIGTERM, then SIGKILL after `graceMs`); resolves on exit. */
  stop(graceMs?: number): Promise<void>;
  /** VmHWM just before stopping, MiB. */
  peakMiB?: number;
  /** Sends one command line to the child and resolves with its one-line JSON answer. */
  command(cmd: object, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const live = new Set<Child>();
/** Every child spawned and not yet stopped, ready or not: a signal during a start stops it too. */
const spawned = new Set<number>();

/** Kills every child still running (orchestrator crash or Ctrl-C): by pid, ours only. */
export function killAllChildren(): void {
  for (const pid of [...spawned, ...[...live].map((c) => c.pid)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  spawned.clear();
}

export interface StartChildOptions {
  name: string;
  serve: ServeOptions;
  env: Record<string, string>;
  logDir: string;
  /** Root of the checkout whose bench/serve-stack.ts runs, as its working directory (default: this one). */
  checkout?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** The flags the product runs with (lib/runtime-flags.ts of the checkout that runs). */
  runtimeFlags: readonly string[];
  timeoutMs?: number;
}

/**
 * The node flags a checkout's processes run with in production (its lib/runtime-flags.ts;
 * none for a revision from before that file), so a compared revision runs as it would have.
 */
export async function runtimeFlagsOf(checkout: string = ROOT): Promise<readonly string[]> {
  const file = join(checkout, 'lib', 'runtime-flags.ts');
  if (!existsSync(file)) return [];
  const mod = (await import(pathToFileURL(file).href)) as { NODE_FLAGS?: unknown };
  if (!Array.isArray(mod.NODE_FLAGS) || !mod.NODE_FLAGS.every((f) => typeof f === 'string' && f.startsWith('--'))) {
    throw new Error(`${file}: NODE_FLAGS is not a list of node flags`);
  }
  return mod.NODE_FLAGS as string[];
}

export async function startChild(o: StartChildOptions): Promise<Child> {
  mkdirSync(o.logDir, { recursive: true });
  const log = createWriteStream(join(o.logDir, `${o.name}.log`));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env };
  // --expose-gc: the memory run asks the gateway for its heap after a full collection.
  const checkout = o.checkout ?? ROOT;
  const serve = join(checkout, 'bench', 'serve-stack.ts');
  const child = spawn(process.execPath, ['--expose-gc', ...o.runtimeFlags, ...(o.nodeArgs ?? []), '--import', 'tsx', serve, JSON.stringify(o.serve)], {
    cwd: checkout,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  if (child.pid !== undefined) spawned.add(child.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => spawned.delete(child.pid!));

  const answers: ((line: string) => void)[] = [];
  const ready = await new Promise<ServeReady>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${o.name}: not ready after ${o.timeoutMs ?? 60_000} ms (see ${log.path})`)), o.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      // Log lines a process writes before it is ready (Redis connected, ...) go to its log.
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0 && !buffered.startsWith('{"ready":true')) {
        log.write(buffered.slice(0, nl + 1));
        buffered = buffered.slice(nl + 1);
      }
      if (nl < 0) return;
      const line = buffered.slice(0, nl);
      child.stdout!.off('data', onData);
      const rest = buffered.slice(nl + 1);
      let pending = rest;
      child.stdout!.on('data', (c: Buffer) => {
        pending += c.toString('utf8');
        let i: number;
        while ((i = pending.indexOf('\n')) >= 0) {
          const answer = pending.slice(0, i);
          pending = pending.slice(i + 1);
          // Answers are the lines serve-stack writes ({"ok":...}); anything else is a log line.
          const waiter = answer.startsWith('{"ok":') ? answers.shift() : undefined;
          if (waiter) waiter(answer);
          else log.write(`${answer}\n`);
        }
      });
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as ServeReady);
      } catch {
        reject(new Error(`${o.name}: unexpected first line ${JSON.stringify(line.slice(0, 200))}`));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${o.name}: exited with ${code} before it was ready (see ${dirname(String(log.path))}/${o.name}.log)`));
    });
  });

  const handle: Child = {
    name: o.name,
    ready,
    pid: child.pid!,
    process: child,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return void live.delete(handle);
      handle.peakMiB = readProcMemory(child.pid!)?.hwmMiB;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      live.delete(handle);
      log.end();
    },
    command: (cmd, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${o.name}: no answer to ${JSON.stringify(cmd)}`)), timeoutMs);
        answers.push((line) => {
          clearTimeout(timer);
          try {
            resolve(JSON.parse(line) as Record<string, unknown>);
          } catch {
            reject(new Error(`${o.name}: unexpected answer ${line.slice(0, 200)}`));
          }
        });
        child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      }),
  };
  live.add(handle);
  return handle;
}
