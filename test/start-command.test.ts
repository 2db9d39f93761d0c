// `npm start` brings the whole stack up with one command, prints the URLs, and Ctrl-C stops
// every port it opened.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from './support/ports.ts';

describe('npm start', () => {
  it('starts every service, is ready, and stops cleanly on SIGINT', async () => {
    const names = ['GATEWAY', 'UNEMPLOYMENT', 'DISABILITY', 'SOCIAL_ASSISTANCE', 'SUPPLEMENTARY_BENEFITS', 'CONSENT', 'MOCKS'];
    const ports: Record<string, string> = {};
    for (const n of names) ports[`${n}_PORT`] = String(await freePort());
    const cwd = new URL('..', import.meta.url).pathname;
    const env = {
      ...process.env,
      ...ports,
      NODE_ENV: 'development',
      DEV_TOKEN_SECRET_FILE: join(mkdtempSync(join(tmpdir(), 'ciigraph-start-')), 'dev-token-secret'),
    };
    const child = spawn('npm', ['start', '--silent'], {
      cwd,
      env,
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
      const query = JSON.stringify({ query: '{ person(avs: "756.9876.5432.17") { avs unemployment { office } } }' });
      const anonymous = await fetch(`${gateway}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
      expect(anonymous.status).toBe(401);
      // The contract's development token, against the stack just started.
      const token = execFileSync('npm', ['run', '--silent', 'token', '--', '--institution', 'AC', '--role', 'counsellor'], { cwd, env })
        .toString()
        .trim();
      const res = await fetch(`${gateway}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: query,
      });
      expect((await res.json()).data.person).toEqual({ avs: '756.9876.5432.17', unemployment: { office: 'ORP Lausanne' } });
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
