// A throwaway redis-server for a test file, on a free loopback port, without persistence
// unless asked for (an append-only file in its own temporary directory). Never the
// developer's Redis on 6379: tests must not touch (or depend on) anyone's data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export interface RedisServerHandle {
  url: string;
  port: number;
  /** SIGTERM, and wait for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty unless it keeps an append-only file: then from it). */
  restart(): Promise<void>;
  /** SIGKILL, and wait for the process to exit. */
  kill(): Promise<void>;
  /** SIGKILL, keeping its directory (and append-only file) for a restart(). */
  crash(): Promise<void>;
}

export interface RedisServerOptions {
  port?: number;
  /** Keep an append-only file, fsynced as this says (default: no persistence at all). */
  appendfsync?: 'always' | 'everysec' | 'no';
}

const START_TIMEOUT_MS = 10_000;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test process that dies without its afterAll must not leave servers behind.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function assertInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (probe.error) {
    throw new Error(
      `redis-server is not on PATH (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}); ` +
        'the Redis-backed tests need it: apt-get install -y redis-server',
    );
  }
}

/** The process id of the redis-server answering on the port, if one answers. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      const pid = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (pid) done(Number(pid[1]));
      else if (reply.startsWith('-')) done(undefined); // e.g. LOADING
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function spawnOn(port: number, dir: string, appendfsync: RedisServerOptions['appendfsync']): Promise<ChildProcess> {
  const persistence = appendfsync ? ['--appendonly', 'yes', '--appendfsync', appendfsync] : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const failed = new Promise<Error>((resolve) => {
    child.once('error', (e) => resolve(e));
    child.once('exit', (code, signal) => resolve(new Error(`redis-server on port ${port} exited (${signal ?? code}) while starting:\n${output}`)));
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    // Our child answering, not whatever else may hold the port.
    const outcome = await Promise.race([failed, serverPid(port)]);
    if (outcome instanceof Error) throw outcome;
    if (outcome === child.pid) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  assertInstalled();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-redis-'));

  // A port found free may be taken before redis-server binds it: try another.
  let port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined;
  for (let attempt = 0; !child; attempt++) {
    try {
      child = await spawnOn(port, dir, opts.appendfsync);
    } catch (e) {
      if (opts.port !== undefined || attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      port = await freePort();
    }
  }

  const terminate = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    child = undefined;
    c.kill(signal);
    await exited(c);
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await terminate('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      await terminate('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    crash: async () => {
      await terminate('SIGKILL');
    },
    restart: async () => {
      await terminate('SIGTERM');
      mkdirSync(dir, { recursive: true });
      child = await spawnOn(port, dir, opts.appendfsync);
    },
  };
}
