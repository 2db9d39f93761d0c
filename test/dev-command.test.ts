// `npm run dev -- --subgraph <name>`, on a copy of the repository: the developer's subgraph
// from the working tree behind a local gateway (GraphiQL included), enforcement on. A saved
// change is queried through the gateway seconds later; a change that does not compose is
// reported in the terminal and on the GraphiQL page while the previous version stays served;
// a breaking change is served and reported; Ctrl-C stops every process.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devSecret, issueDevToken } from '../lib/auth/dev-issuer.ts';
import { waitFor } from './support/ports.ts';
import { startRunningStack } from './support/stack-command.ts';
import { gql } from './support/stack.ts';
import { copyRepository } from './support/tree.ts';

const PAINTER = '756.1234.5678.97';
const copy = copyRepository('ciigraph-dev-');
const tree = copy.dir;
afterAll(() => copy.remove());

const sdlPath = join(tree, 'subgraphs/unemployment/schema.graphql');
const indexPath = join(tree, 'subgraphs/unemployment/index.ts');
const edit = (path: string, from: string, to: string) => {
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${path} has no ${from}`);
  writeFileSync(path, text.replace(from, to));
};

describe('npm run dev', () => {
  it('serves a saved change through the local gateway with enforcement on, reports what does not compose or breaks, and stops on SIGINT', async () => {
    const secretFile = join(tree, 'dev-token-secret');
    const env = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DEV_TOKEN_SECRET_FILE: secretFile, CONSENT_SIGNING_KEY_FILE: join(tree, 'consent-key') };
    const dev = await startRunningStack('npm', ['run', '--silent', 'dev', '--', '--subgraph', 'unemployment'], { cwd: tree, env, readyTimeoutMs: 90_000 });
    const { ports, url: gateway } = dev;
    const status = async () => (await (await fetch(`${gateway}/graphiql/dev-status`)).json()) as { state: string; summary: string; details: string[] };
    const waitForStatus = (state: string, since: string) =>
      waitFor(async () => {
        const s = await status().catch(() => undefined);
        return s && s.state === state && (s as unknown as { at: string }).at > since ? s : undefined;
      }, 90_000, `the dev status "${state}" (${dev.output()})`);
    try {
      expect(dev.output()).toContain('SDL check of unemployment: composes, nothing breaks');
      expect((await status()).state).toBe('served');
      const token = (institution: string, role: string) =>
        issueDevToken(devSecret(secretFile), { institution: institution as 'AC', role, sub: `dev-${role}` }, { issuer: 'ciigraph-dev', audience: 'ciigraph', ttlSeconds: 600 });
      const counsellor = { authorization: `Bearer ${token('AC', 'counsellor')}`, 'x-purpose': 'cii', 'x-case-reference': 'ORP-GE-2026-0412' };
      const referent = { authorization: `Bearer ${token('CII', 'cii-referent')}`, 'x-purpose': 'cii', 'x-case-reference': 'CII-GE-2026-0042' };
      // The GraphiQL page of the local gateway shows the loop's state.
      const page = await (await fetch(`${gateway}/graphiql`)).text();
      expect(page).toContain('id="dev-status"');

      // 1. A new field, saved: served through the gateway, and still decided by the policy.
      let since = new Date().toISOString();
      edit(sdlPath, '  counsellor: String! @category(id: "ac.registration")', '  counsellor: String! @category(id: "ac.registration")\n  "The office and its kind."\n  officeLabel: String! @category(id: "ac.registration")');
      edit(indexPath, 'toFile: (r) => ({ ...r.registration,', 'toFile: (r) => ({ officeLabel: `${r.registration.office} (ORP)`, ...r.registration,');
      const served = await waitForStatus('warning', since);
      expect(served.details.join('\n')).toContain('UnemploymentFile.officeLabel: new field in category ac.registration');
      const q = `query($avs: ID!) { person(avs: $avs) { unemployment { officeLabel } } }`;
      expect((await gql(gateway, q, { avs: PAINTER }, counsellor)).body.data.person.unemployment.officeLabel).toBe('ORP Genève – Jonction (ORP)');
      const denied = await gql(gateway, q, { avs: PAINTER }, referent);
      expect(denied.body.data.person.unemployment).toBeNull();
      expect(denied.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.registration' });

      // 2. A change that does not compose: reported in the terminal and on the page; the previous version stays served.
      since = new Date().toISOString();
      edit(sdlPath, '  avs: ID!', '  avs: Int!');
      const failed = await waitForStatus('failed', since);
      expect(failed.summary).toMatch(/does not compose: the previous version is still served/);
      expect(dev.output()).toContain('SDL check of unemployment: DOES NOT COMPOSE');
      expect((await gql(gateway, q, { avs: PAINTER }, counsellor)).body.data.person.unemployment.officeLabel).toBe('ORP Genève – Jonction (ORP)');

      // 3. Fixed, but a field removed: served, and the breaking change named.
      since = new Date().toISOString();
      edit(sdlPath, '  avs: Int!', '  avs: ID!');
      edit(sdlPath, '  "The personnel counsellor in charge."\n  counsellor: String! @category(id: "ac.registration")\n', '');
      const breaking = await waitForStatus('warning', since);
      expect(breaking.details.join('\n')).toMatch(/UnemploymentFile\.counsellor was removed/);
      expect(dev.output()).toMatch(/Breaking changes \(clients will fail\):\n\s+- UnemploymentFile\.counsellor was removed/);
      const gone = await gql(gateway, `query($avs: ID!) { person(avs: $avs) { unemployment { counsellor } } }`, { avs: PAINTER }, counsellor);
      expect(gone.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await dev.stop('SIGINT');
    }
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${ports.UNEMPLOYMENT_PORT}/healthz`).then(() => false, () => true)) ? true : undefined), 15_000, 'the subgraphs to stop');
    await expect(fetch(`${gateway}/healthz`)).rejects.toThrow();
  }, 300_000);
});
