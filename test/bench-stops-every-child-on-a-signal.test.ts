// `npm run bench` starts a dozen processes (redis-server, mocks, subgraphs, gateways): stopped
// by a signal at any moment, it stops every one of them (issue 24).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-command.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs the bench until `when` matches its log, sends `signal`, and returns the pids it said it started and how it exited. */
function benchStoppedAt(when: RegExp, signal: NodeJS.Signals): Promise<{ pids: number[]; code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/production.ts', '--quick', '--only', 'Q1', '--memory', '0', '--no-report'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    let sent = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bench never reached ${when}:\n${log}`));
    }, 150_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (!sent && when.test(log)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const pids = [...log.matchAll(/(?:started \S+ \(pid (\d+)\)|redis-server pid (\d+))/g)].map((m) => Number(m[1] ?? m[2]));
      resolve({ pids, code, log });
    });
  });
}

describe('the bench stopped by a signal', () => {
  it('while starting its processes, stops those already started', async () => {
    const { pids, code } = await benchStoppedAt(/started subgraph-\S+ \(pid \d+\)/, 'SIGTERM');
    expect(code).toBe(130);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await expect.poll(() => pids.filter(alive), { timeout: 5000 }).toEqual([]);
  }, 180_000);

  it('while measuring, stops every process it started', async () => {
    const { pids, code, log } = await benchStoppedAt(/measuring Q1/, 'SIGINT');
    expect(code).toBe(130);
    // redis-server, mocks, five subgraphs and a gateway, five peer subgraphs and a peer gateway.
    expect(pids, log).toHaveLength(14);
    await expect.poll(() => pids.filter(alive), { timeout: 5000 }).toEqual([]);
  }, 180_000);
});
