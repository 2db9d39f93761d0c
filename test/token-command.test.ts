// `npm run --silent token -- ...` (CONTRACT.md section 2): one signed development JWT on
// stdout and nothing else, with the asked claims, signed with the secret in
// DEV_TOKEN_SECRET_FILE, accepted by a development stack sharing that file; bad arguments exit
// with code 2 and a message on stderr; production issues nothing.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../bin/stack.ts';
import type { MemoryAuditLog } from '../lib/audit/memory.ts';
import { loadConfig } from '../lib/config.ts';
import { gql } from './support/stack.ts';
import { runCommand } from './support/run-command.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const JWT_LINE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/;
const PAINTER = '756.1234.5678.97';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'ciigraph-token-'));
const secretFile = join(dir, 'dev-token-secret');
const secretHex = randomBytes(32).toString('hex');
writeFileSync(secretFile, `${secretHex}\n`, { mode: 0o600 });
const secret = Buffer.from(secretHex, 'hex');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the token command as a developer would, with only the given environment on top of a clean one. */
function token(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  // Nothing from the test runner's environment may change the command's configuration.
  for (const k of Object.keys(base)) {
    if (/^(JWT_|POLICY_FILE|REDIS_URL|GATEWAY_CREDENTIAL_|DEV_TOKEN_)/.test(k) || k.endsWith('_REGISTRY_URL')) delete base[k];
  }
  return runCommand('npm', ['run', '--silent', 'token', '--', ...args], { ...base, NODE_ENV: 'development', DEV_TOKEN_SECRET_FILE: secretFile, ...env });
}

/** stderr without npm's own configuration warnings. */
const ownStderr = (r: Run) =>
  r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^npm (warn|WARN|notice)/.test(l))
    .join('\n');

/** The one JWT the command printed, verified with the secret in the file (HS256). */
function verified(r: Run): JwtPayload {
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(JWT_LINE);
  return jwt.verify(r.stdout.trim(), secret, { algorithms: ['HS256'], issuer: 'ciigraph-dev', audience: 'ciigraph' }) as JwtPayload;
}

describe('npm run token', () => {
  it('prints exactly one JWT line with the asked claims, iss ciigraph-dev, aud ciigraph and exp - iat = --ttl', async () => {
    const r = await token(['--institution', 'AI', '--role', 'case-manager', '--sub', 'cm-42', '--purpose', 'cii', '--case', 'AI-GE-2026-0815', '--ttl', '120']);
    expect(r.stdout.split('\n')).toHaveLength(2); // one line, newline-terminated, nothing else
    const c = verified(r);
    expect(c).toMatchObject({
      institution: 'AI',
      role: 'case-manager',
      sub: 'cm-42',
      purpose: 'cii',
      case: 'AI-GE-2026-0815',
      iss: 'ciigraph-dev',
      aud: 'ciigraph',
    });
    expect(c.exp! - c.iat!).toBe(120);
    expect(jwt.decode(r.stdout.trim(), { complete: true })?.header.alg).toBe('HS256');
  });

  it('gives a subject by default, no purpose or case unless asked, and another ttl when asked', async () => {
    const c = verified(await token(['--institution', 'AC', '--role', 'counsellor', '--ttl', '900']));
    expect(c).toMatchObject({ institution: 'AC', role: 'counsellor', iss: 'ciigraph-dev', aud: 'ciigraph' });
    expect(typeof c.sub).toBe('string');
    expect(c.sub!.length).toBeGreaterThan(0);
    expect(c.purpose).toBeUndefined();
    expect(c.case).toBeUndefined();
    expect(c.exp! - c.iat!).toBe(900);
  });

  it('signs with the secret in DEV_TOKEN_SECRET_FILE, and leaves that file as it was', async () => {
    const r = await token(['--institution', 'PC', '--role', 'pc-officer']);
    verified(r);
    expect(() => jwt.verify(r.stdout.trim(), randomBytes(32), { algorithms: ['HS256'] })).toThrow(/signature/);
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(secretHex);
  });

  const BAD: Array<[string, string[]]> = [
    ['an unknown role', ['--institution', 'AI', '--role', 'janitor']],
    ['a role that does not exist at the institution (physician at AC)', ['--institution', 'AC', '--role', 'physician']],
    ['an unknown institution', ['--institution', 'XX', '--role', 'cii-referent']],
    ['an unknown purpose', ['--institution', 'AI', '--role', 'case-manager', '--purpose', 'shopping']],
    ['an unknown flag', ['--institution', 'AI', '--role', 'case-manager', '--colour', 'blue']],
    ['a ttl of 0', ['--institution', 'AI', '--role', 'case-manager', '--ttl', '0']],
    ['a malformed case reference', ['--institution', 'AI', '--role', 'case-manager', '--case', 'AI-<1>']],
    ['no role', ['--institution', 'AI']],
  ];
  it.each(BAD)('refuses %s: exit code 2, a message on stderr, nothing on stdout', async (_what, args) => {
    const r = await token(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(ownStderr(r)).toMatch(/^token: /m);
  });

  it('names the fault on stderr (role at institution, purpose)', async () => {
    expect(ownStderr(await token(['--institution', 'AC', '--role', 'physician']))).toMatch(/physician.*AC/);
    expect(ownStderr(await token(['--institution', 'AI', '--role', 'case-manager', '--purpose', 'shopping']))).toMatch(/purpose/);
  });

  it('issues nothing with NODE_ENV=production', async () => {
    const r = await token(['--institution', 'AI', '--role', 'case-manager'], { NODE_ENV: 'production' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
  });

  it('issues nothing in a fully configured production environment either, and says why', async () => {
    const production = {
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:1',
      IDENTITY_ISSUERS: JSON.stringify([{ issuer: 'https://idp.example.ch', audience: 'ciigraph', publicKeyFile: join(dir, 'idp.pem') }]),
      GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: join(dir, 'gateway.pem'),
      CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key'),
      AUDIT_SIGNING_KEY_FILE: join(dir, 'audit-signing-key.pem'),
      UNEMPLOYMENT_REGISTRY_URL: 'https://plasta.example.ch',
      DISABILITY_REGISTRY_URL: 'https://ai.example.ch',
      SOCIAL_ASSISTANCE_REGISTRY_URL: 'https://as.example.ch',
      SUPPLEMENTARY_BENEFITS_REGISTRY_URL: 'https://pc.example.ch',
    };
    const fresh = join(dir, 'production-secret');
    const r = await token(['--institution', 'AI', '--role', 'case-manager'], { ...production, DEV_TOKEN_SECRET_FILE: fresh });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(ownStderr(r)).toMatch(/development tokens.*production/i);
    expect(existsSync(fresh)).toBe(false); // no development secret is even created
  });
});

describe('a development stack sharing DEV_TOKEN_SECRET_FILE', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', DEV_TOKEN_SECRET_FILE: secretFile }),
      ephemeralPorts: true,
    });
  });
  afterAll(async () => stack?.close());

  it('accepts the printed token, with its purpose and case claims applied', async () => {
    const r = await token(['--institution', 'AI', '--role', 'case-manager', '--sub', 'cm-42', '--purpose', 'cii', '--case', 'AI-GE-2026-0815']);
    const audit = stack.audit as MemoryAuditLog;
    const logged = audit.all().length;
    const res = await gql(
      stack.gatewayUrl,
      `query($avs: ID!) { person(avs: $avs) { disability { status } unemployment { office } } }`,
      { avs: PAINTER },
      { authorization: `Bearer ${r.stdout.trim()}` },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.person.disability.status).toBe('EARLY_INTERVENTION');
    expect(res.body.data.person.unemployment).not.toBeNull(); // LPGA art. 32: released with the token's purpose and case
    const entries = audit.all().slice(logged);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e).toMatchObject({ subject: 'cm-42', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
  });

  it('refuses a token printed with another secret file', async () => {
    const r = await token(['--institution', 'AI', '--role', 'case-manager'], { DEV_TOKEN_SECRET_FILE: join(dir, 'another-secret') });
    expect(r.code).toBe(0);
    const res = await gql(stack.gatewayUrl, `{ person(avs: "${PAINTER}") { avs } }`, {}, { authorization: `Bearer ${r.stdout.trim()}` });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
