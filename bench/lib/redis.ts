// The benchmark's own redis-server, configured as the README documents for production (AOF,
// no eviction), on a free loopback port in a temporary directory: never the developer's Redis.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchRedis {
  url: string;
  pid: number;
  appendfsync: 'everysec' | 'always';
  stop(): Promise<void>;
}

const live = new Set<number>();

/** Kills the bench's redis-server if it still runs (orchestrator crash or Ctrl-C). */
export function killBenchRedis(): void {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export async function startBenchRedis(appendfsync: 'everysec' | 'always' = 'everysec'): Promise<BenchRedis> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error) throw new Error('--store redis needs redis-server on PATH (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', appendfsync, '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child.pid!);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-500)}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    appendfsync,
    stop: () =>
      new Promise<void>((resolve) => {
        live.delete(child.pid!);
        if (child.exitCode !== null) return resolve(rmSync(dir, { recursive: true, force: true }));
        child.once('exit', () => resolve(rmSync(dir, { recursive: true, force: true })));
        child.kill('SIGTERM');
      }),
  };
}
