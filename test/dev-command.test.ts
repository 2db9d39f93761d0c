// `npm run dev -- --subgraph <name>`: one subgraph against its mocks, its SDL checked, and
// restarted when a watched file changes; Ctrl-C stops it and its child.
import { spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { subgraphSchemaPath } from '../lib/schema/subgraph-sdl.ts';
import { freePort, waitFor } from './support/ports.ts';

describe('npm run dev', () => {
  it('runs the subgraph against its mocks, checks its SDL, restarts on change, stops on SIGINT', async () => {
    const port = await freePort();
    const mocks = await freePort();
    const child = spawn('npm', ['run', '--silent', 'dev', '--', '--subgraph', 'unemployment'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, UNEMPLOYMENT_PORT: String(port), MOCKS_PORT: String(mocks), NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const healthy = () => waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined), 30_000, `the subgraph (${out})`);
    try {
      await healthy();
      expect(out).toMatch(/SDL check of unemployment: composes, nothing breaks/);
      // Without the gateway's credential it answers nothing, as always.
      const direct = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(direct.status).toBe(401);

      const now = new Date();
      utimesSync(subgraphSchemaPath('unemployment'), now, now);
      await waitFor(async () => (/change: subgraphs\/unemployment\/schema\.graphql/.test(out) ? true : undefined), 15_000, 'the change to be seen');
      await waitFor(async () => ((out.match(/SDL check of unemployment/g) ?? []).length >= 2 ? true : undefined), 15_000, 'the SDL check to run again');
      await waitFor(async () => ((out.match(/subgraph unemployment on /g) ?? []).length >= 2 ? true : undefined), 30_000, `the restart (${out})`);
      await healthy();
    } finally {
      process.kill(-child.pid!, 'SIGINT');
    }
    await exited;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 90_000);
});
