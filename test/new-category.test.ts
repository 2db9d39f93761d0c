// `npm run new-category` adds a field with a new data category in one command, on a copy of the
// repository: the catalogue entry, the SDL field with its @category, the registry record's
// section, the file mapping, the mock data, the recomposed supergraph and a policy row marked
// for DPO review; the tree still type-checks, and the started stack serves the field to the
// institution's own staff (journaled under the basis pending review) and denies it to everyone
// else. Bad input writes nothing. The start refuses a registry section that matches no category.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devSecret, issueDevToken } from '../lib/auth/dev-issuer.ts';
import { runCommand } from './support/run-command.ts';
import { startStackCommand } from './support/stack-command.ts';
import { gql } from './support/stack.ts';
import { copyRepository } from './support/tree.ts';

const PAINTER = '756.1234.5678.97';
const copy = copyRepository('ciigraph-new-category-');
const tree = copy.dir;
afterAll(() => copy.remove());

const secretFile = join(tree, 'dev-token-secret');
const newCategory = (...args: string[]) => runCommand('npm', ['run', '--silent', 'new-category', '--', ...args], process.env, tree);
const ARGS = ['--subgraph', 'unemployment', '--category', 'ac.sanctions', '--description', 'Days of suspended allowance (sanctions) in the current framework period.', '--type', 'Int', '--example', '12'];

/** A hash of every file the command may touch, to prove a refusal wrote nothing. */
function treeHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  for (const dir of ['schema', 'subgraphs', 'mocks']) walk(join(tree, dir));
  return hash.digest('hex');
}

/** `npm start` in the copy on free ports; resolves once it is ready, or with what it printed when it exits. */
function startInCopy() {
  const env = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DEV_TOKEN_SECRET_FILE: secretFile, CONSENT_SIGNING_KEY_FILE: join(tree, 'consent-key') };
  return startStackCommand('npm', ['start'], { cwd: tree, env, readyTimeoutMs: 90_000 });
}

describe('npm run new-category', () => {
  it('refuses bad input, naming it, and writes nothing', async () => {
    const before = treeHash();
    const wrongPrefix = await newCategory('--subgraph', 'unemployment', '--category', 'ai.sanctions', '--description', 'x');
    expect(wrongPrefix.code).toBe(2);
    expect(wrongPrefix.stderr).toContain("unemployment's categories are ac.<name>");
    const exists = await newCategory('--subgraph', 'unemployment', '--category', 'ac.entitlement', '--description', 'x');
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/exists already|already/);
    const badExample = await newCategory(...ARGS.slice(0, -1), '"twelve"');
    expect(badExample.code).toBe(2);
    expect(badExample.stderr).toContain('not a Int');
    const noSubgraph = await newCategory('--subgraph', 'consent', '--category', 'cii.x', '--description', 'x');
    expect(noSubgraph.code).toBe(2);
    for (const run of [wrongPrefix, exists, badExample, noSubgraph]) expect(run.stderr).toContain('Nothing was written.');
    expect(treeHash()).toBe(before);
  }, 120_000);

  it('adds the catalogue entry, the field, the section, the mapping, the mock data, the supergraph and a policy row for DPO review', async () => {
    const run = await newCategory(...ARGS);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('For the data-protection officer to review before this ships:');
    expect(run.stdout).toContain('AC counsellor get ac.sanctions under "review-ac-sanctions"');

    const catalogue = JSON.parse(readFileSync(join(tree, 'schema/categories.json'), 'utf8')) as { categories: Array<{ id: string }> };
    expect(catalogue.categories.find((c) => c.id === 'ac.sanctions')).toEqual({
      id: 'ac.sanctions',
      institution: 'AC',
      sensitive: false,
      description: 'Days of suspended allowance (sanctions) in the current framework period.',
    });
    expect(readFileSync(join(tree, 'subgraphs/unemployment/schema.graphql'), 'utf8')).toContain('  sanctions: Int @category(id: "ac.sanctions")');
    expect(readFileSync(join(tree, 'subgraphs/unemployment/registry.ts'), 'utf8')).toContain('  sanctions: z.number().int().nullable().optional(),');
    expect(readFileSync(join(tree, 'schema/supergraph.graphql'), 'utf8')).toMatch(/sanctions: Int @join__field\(graph: UNEMPLOYMENT\) @category\(id: "ac.sanctions"\)/);
    const policy = JSON.parse(readFileSync(join(tree, 'schema/policy/sample.json'), 'utf8')) as {
      legalBases: Array<{ id: string; citation: string }>;
      rules: Array<{ institution: string; roles: string[]; categories: Record<string, string> }>;
    };
    expect(policy.legalBases.find((b) => b.id === 'review-ac-sanctions')?.citation).toBe('LACI art. 96b (pending DPO review for ac.sanctions)');
    expect(policy.rules.filter((r) => 'ac.sanctions' in r.categories).map((r) => [r.institution, r.roles, r.categories['ac.sanctions']])).toEqual([
      ['AC', ['counsellor'], 'review-ac-sanctions'],
    ]);

    // The edited TypeScript still type-checks (the mocks' records are complete).
    const tsc = await runCommand('npx', ['tsc', '--noEmit', '-p', tree], process.env, tree);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }, 240_000);

  it('serves the new field to the institution\'s own staff, journaled under the basis pending review, and denies it to the others', async () => {
    const stack = await startInCopy();
    if ('exited' in stack) throw new Error(`the stack did not start: ${stack.exited.output}`);
    try {
      const token = (institution: string, role: string) =>
        issueDevToken(devSecret(secretFile), { institution: institution as 'AC', role, sub: `t-${role}` }, { issuer: 'ciigraph-dev', audience: 'ciigraph', ttlSeconds: 600 });
      const q = `query($avs: ID!) { person(avs: $avs) { unemployment { registeredSince sanctions } } }`;
      const own = await gql(stack.url, q, { avs: PAINTER }, { authorization: `Bearer ${token('AC', 'counsellor')}`, 'x-purpose': 'cii', 'x-case-reference': 'ORP-GE-2026-0412' });
      expect(own.body.errors).toBeUndefined();
      expect(own.body.data.person.unemployment.sanctions).toBe(12);
      const other = await gql(stack.url, q, { avs: PAINTER }, { authorization: `Bearer ${token('AI', 'case-manager')}`, 'x-purpose': 'cii', 'x-case-reference': 'AI-GE-2026-0815' });
      expect(other.body.data.person.unemployment).toEqual({ registeredSince: '2026-02-02', sanctions: null });
      expect(other.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.category])).toEqual([['person.unemployment.sanctions', 'FORBIDDEN', 'ac.sanctions']]);
      const log = await gql(stack.url, `query($avs: ID!) { accessLog(avs: $avs) { role category decision legalBasis } }`, { avs: PAINTER }, { authorization: `Bearer ${token('CII', 'dpo')}` });
      expect(log.body.data.accessLog).toEqual(
        expect.arrayContaining([
          { role: 'counsellor', category: 'ac.sanctions', decision: 'ALLOWED', legalBasis: 'LACI art. 96b (pending DPO review for ac.sanctions)' },
          { role: 'case-manager', category: 'ac.sanctions', decision: 'DENIED', legalBasis: null },
        ]),
      );
    } finally {
      await stack.stop();
    }
  }, 180_000);

  it('is followed by a start that refuses a registry section matching no category', async () => {
    const registry = join(tree, 'subgraphs/unemployment/registry.ts');
    writeFileSync(registry, readFileSync(registry, 'utf8').replace('  sanctions: z.number()', '  penalties: z.number().int().nullable().optional(),\n  sanctions: z.number()'));
    const stack = await startInCopy();
    if (!('exited' in stack)) {
      await stack.stop();
      throw new Error('the stack started with a registry section that matches no category');
    }
    expect(stack.exited.output).toContain('Cannot start: subgraphs/unemployment/registry.ts');
    expect(stack.exited.output).toContain('section "penalties" matches no category of AC');
  }, 180_000);
});
