// `npm start` brings the whole stack up with one command, prints the URLs, and Ctrl-C stops
// every port it opened.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRunningStack } from './support/stack-command.ts';

describe('npm start', () => {
  it('starts every service, is ready, and stops cleanly on SIGINT', async () => {
    const cwd = new URL('..', import.meta.url).pathname;
    const env = {
      ...process.env,
      NODE_ENV: 'development',
      DEV_TOKEN_SECRET_FILE: join(mkdtempSync(join(tmpdir(), 'ciigraph-start-')), 'dev-token-secret'),
    };
    const stack = await startRunningStack('npm', ['start', '--silent'], { cwd, env, readyTimeoutMs: 45_000 });
    try {
      const gateway = stack.url;
      expect(stack.output()).toContain(`${gateway}/graphql`);
      const query = JSON.stringify({ query: '{ person(avs: "756.9876.5432.17") { avs unemployment { office } } }' });
      const anonymous = await fetch(`${gateway}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
      expect(anonymous.status).toBe(401);
      // The contract's development token, against the stack just started.
      const token = execFileSync('npm', ['run', '--silent', 'token', '--', '--institution', 'AC', '--role', 'counsellor'], { cwd, env: { ...env, ...stack.ports } })
        .toString()
        .trim();
      const res = await fetch(`${gateway}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: query,
      });
      expect((await res.json()).data.person).toEqual({ avs: '756.9876.5432.17', unemployment: { office: 'ORP Lausanne' } });
    } finally {
      await stack.stop('SIGINT');
    }
    expect(stack.output()).toContain('stopped.');
    // Every port is released: nothing is left listening.
    for (const p of Object.values(stack.ports)) {
      await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
    }
  }, 90_000);
});
