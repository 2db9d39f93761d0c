// npm run cases:sync: an institution's case-management system feeds the repertory of a running
// deployment. A file with one bad line changes nothing and names the line; a good file is
// applied once (a second run changes nothing); each change is in the access log.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKeyPairPem } from '../lib/audit/signing-keys.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { runCommand } from './support/run-command.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PARTIAL_PENSION = '756.4444.5555.62';
const ORP_ONLY = '756.9876.5432.17';

let redis: RedisServerHandle;
let stack: TestStack;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'ciigraph-cases-sync-'));
  // The deployment's keys: the command journals into the same signed log as the stack.
  writeFileSync(join(dir, 'audit-signing-key.pem'), newKeyPairPem().privateKey, { mode: 0o600 });
  env = { REDIS_URL: redis.url, REDIS_PREFIX: 'sync:', CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key'), AUDIT_SIGNING_KEY_FILE: join(dir, 'audit-signing-key.pem') };
  stack = await startTestStack({ env });
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

function file(name: string, lines: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}
const sync = (path: string, institution = 'AI') =>
  runCommand('npx', ['tsx', 'bin/cases-sync.ts', '--institution', institution, '--operator', 'ai-cms', path], { ...process.env, NODE_ENV: 'test', ...env });

const asDpo = () => stack.as({ institution: 'AI', role: 'dpo' });
async function casesOf(avs: string) {
  const { body } = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { cases { institution caseReference openedOn closedOn } } }`, { avs }, asDpo());
  expect(body.errors).toBeUndefined();
  return body.data.person.cases as { institution: string; caseReference: string; openedOn: string; closedOn: string | null }[];
}
async function caseChangesOf(avs: string) {
  const { body } = await gql(stack.gatewayUrl, `query($avs: ID!) { accessLog(avs: $avs, first: 100) { action caseReference subject institution } }`, { avs }, asDpo());
  expect(body.errors).toBeUndefined();
  return (body.data.accessLog as { action: string; caseReference: string; subject: string; institution: string }[]).filter((e) => e.action.startsWith('CASE_'));
}

describe('npm run cases:sync', () => {
  it('refuses a file with a bad line, naming it, and applies nothing of it', async () => {
    const bad = file('bad.jsonl', [
      { avs: PARTIAL_PENSION, caseReference: 'AI-SYNC-1', openedOn: '2026-10-01' },
      { avs: ORP_ONLY, caseReference: 'AI-SYNC-2' },
      '{"avs": "756.0000.0000.01", "caseReference": "AI-SYNC-3"}',
      { avs: ORP_ONLY, caseReference: 'AI-GE-2026-0815' },
    ]);
    const run = await sync(bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('nothing applied');
    expect(run.stderr).toMatch(/bad\.jsonl:3: avs/);
    expect(run.stderr).toMatch(/bad\.jsonl:4: .*open at AI for another person/);
    expect(run.stderr).not.toMatch(/bad\.jsonl:[12]:/);
    expect((await casesOf(PARTIAL_PENSION)).map((c) => c.caseReference)).not.toContain('AI-SYNC-1');
    expect(await caseChangesOf(ORP_ONLY)).toEqual([]);
  });

  it('applies a good file once, journaling each change, and a second run changes nothing', async () => {
    const good = file('good.jsonl', [
      { avs: PARTIAL_PENSION, caseReference: 'AI-SYNC-1', openedOn: '2026-10-01' },
      '',
      { avs: ORP_ONLY, caseReference: 'AI-SYNC-2', openedOn: '2026-11-02', closedOn: null },
    ]);
    const first = await sync(good);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('2 opened, 0 closed, 0 unchanged');
    expect(await casesOf(ORP_ONLY)).toContainEqual({ institution: 'AI', caseReference: 'AI-SYNC-2', openedOn: '2026-11-02', closedOn: null });
    expect(await caseChangesOf(ORP_ONLY)).toEqual([{ action: 'CASE_OPENED', caseReference: 'AI-SYNC-2', subject: 'ai-cms', institution: 'AI' }]);

    const again = await sync(good);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 opened, 0 closed, 2 unchanged');
    expect(await caseChangesOf(ORP_ONLY)).toHaveLength(1);

    // The synced case releases to the AI's case manager, as any open case does.
    const read = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { unemployment { registeredSince } } }`, { avs: ORP_ONLY }, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-SYNC-2' }));
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.person.unemployment.registeredSince).toBeTruthy();
  });

  it('closes a case the file says is closed, and the next request is denied', async () => {
    const run = await sync(file('close.jsonl', [{ avs: ORP_ONLY, caseReference: 'AI-SYNC-2', openedOn: '2026-11-02', closedOn: '2026-11-30' }]));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('0 opened, 1 closed, 0 unchanged');
    expect(await casesOf(ORP_ONLY)).toContainEqual({ institution: 'AI', caseReference: 'AI-SYNC-2', openedOn: '2026-11-02', closedOn: '2026-11-30' });
    expect((await caseChangesOf(ORP_ONLY)).map((e) => e.action)).toEqual(expect.arrayContaining(['CASE_OPENED', 'CASE_CLOSED']));
    const read = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { unemployment { registeredSince } } }`, { avs: ORP_ONLY }, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-SYNC-2' }));
    expect(read.body.errors?.[0]?.extensions?.reason).toBe('NO_OPEN_CASE');
  });

  it('cannot run without the repertory of a deployment', async () => {
    const run = await runCommand('npx', ['tsx', 'bin/cases-sync.ts', '--institution', 'AI', join(dir, 'good.jsonl')], { ...process.env, NODE_ENV: 'test', REDIS_URL: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('REDIS_URL');
  });
});
