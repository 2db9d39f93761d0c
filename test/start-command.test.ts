// `npm start` brings the whole stack up with one command, prints the URLs, and Ctrl-C stops
// every port it opened.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from './support/ports.ts';

describe('npm start', () => {
  it('starts every service, is ready, and stops cleanly on SIGINT', async () => {
    const names = ['GATEWAY', 'UNEMPLOYMENT', 'DISABILITY', 'SOCIAL_ASSISTANCE', 'SUPPLEMENTARY_BENEFITS', 'CONSENT', 'MOCKS'];
    const ports: Record<string, string> = {};
    for (const n of names) ports[`${n}_PORT`] = String(await freePort());
    const child = spawn('npm', ['start', '--silent'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, ...ports, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as in a terminal: Ctrl-C reaches npm and node alike
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
      await waitFor(async () => ((await fetch(`${gateway}/readyz`)).status === 200 ? true : undefined), 45_000, `readyz (${out})`);
      expect(out).toContain(`${gateway}/graphql`);
      const res = await fetch(`${gateway}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ person(avs: "756.9876.5432.17") { avs } }' }),
      });
      expect((await res.json()).data.person.avs).toBe('756.9876.5432.17');
    } finally {
      process.kill(-child.pid!, 'SIGINT');
    }
    await exited;
    expect(out).toContain('stopped.');
    // Every port is released: nothing is left listening.
    for (const p of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
    }
  }, 90_000);
});
