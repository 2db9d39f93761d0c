// Every command of package.json answers `--help`: it prints its usage on stdout and exits 0,
// without starting or writing anything (a command that started a server would not exit).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, runCommand, type Run } from './support/run-command.ts';

const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
/** Scripts that run the project's own code (the others hand --help to vitest or tsc). */
const own = (command: string) => /\.ts\b/.test(command);

async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return out;
}

describe('every command', () => {
  it('answers --help with its usage on stdout and exit code 0', async () => {
    const names = Object.keys(scripts);
    expect(names).toEqual(expect.arrayContaining(['start', 'test', 'token', 'dev', 'new-category', 'hive-gateway', 'compose', 'mocks', 'subgraph']));
    const runs = await inBatches(names, 4, async (name) => [name, await runCommand('npm', ['run', '--silent', name, '--', '--help'], { ...process.env, NODE_ENV: 'development' })] as [string, Run]);
    for (const [name, run] of runs) {
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect(run.stdout.length, name).toBeGreaterThan(50);
      if (own(scripts[name]!)) expect(run.stdout, name).toMatch(/usage|npm run/i);
    }
    // The usage names the command as a user types it.
    const usage = new Map(runs);
    expect(usage.get('dev')!.stdout).toContain('npm run dev -- --subgraph');
    expect(usage.get('start')!.stdout).toContain('usage: npm start');
  }, 300_000);
});
