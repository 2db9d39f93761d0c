// A project command that serves a stack (`npm start`, `npm run dev`, `npm run hive-gateway`), run
// as from a terminal: its own process group, on free ports, stopped by a signal to the group.
import { spawn } from 'node:child_process';
import { freeStackPorts, waitFor } from './ports.ts';

export interface RunningStack {
  readonly ports: Record<string, string>;
  /** The gateway's base URL. */
  readonly url: string;
  /** Everything the command printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Signals the whole process group (unless it has exited already) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ExitedStack {
  readonly exited: { code: number | null; output: string };
}

export interface StackCommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs: number;
}

// A port free a moment ago can be taken by a parallel test before the command binds it.
const PORT_RACE_RETRIES = 3;

/** Starts the command and resolves once the gateway answers /readyz, or with what it printed if it exits first. */
export async function startStackCommand(command: string, args: string[], options: StackCommandOptions): Promise<RunningStack | ExitedStack> {
  for (let attempt = 1; ; attempt++) {
    const started = await startOnce(command, args, options);
    const lostPortRace = 'exited' in started && started.exited.output.includes('EADDRINUSE');
    if (!lostPortRace || attempt === PORT_RACE_RETRIES) return started;
  }
}

/** As startStackCommand, for a test that needs the stack running: exiting before ready fails with the command's output. */
export async function startRunningStack(command: string, args: string[], options: StackCommandOptions): Promise<RunningStack> {
  const started = await startStackCommand(command, args, options);
  if ('exited' in started) throw new Error(`${command} ${args.join(' ')} exited (${started.exited.code}) before it was ready:\n${started.exited.output}`);
  return started;
}

async function startOnce(command: string, args: string[], { cwd, env, readyTimeoutMs }: StackCommandOptions): Promise<RunningStack | ExitedStack> {
  const ports = await freeStackPorts();
  const child = spawn(command, args, { cwd, env: { ...env, ...ports }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let exitCode: number | null | undefined;
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
  const url = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  const stop = async (signal: NodeJS.Signals = 'SIGINT') => {
    if (exitCode === undefined) {
      try {
        process.kill(-child.pid!, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    return exited;
  };
  let state: 'ready' | 'exited';
  try {
    state = await waitFor(
      async () => (exitCode !== undefined ? 'exited' : (await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? 'ready' : undefined),
      readyTimeoutMs,
      `${command} ${args.join(' ')} to be ready`,
    );
  } catch (e) {
    await stop('SIGKILL');
    throw new Error(`${(e as Error).message}; it printed:\n${out}`);
  }
  if (state === 'exited') return { exited: { code: await exited, output: out } };
  return { ports, url, output: () => out, stop };
}
