// Any router: the unchanged subgraphs behind Hive Gateway (gateway/hive/, whose only ciigraph
// code is the plugin that authenticates the requester and mints each subgraph's credential)
// release exactly what they release behind ciigraph's own gateway: the same data, the same
// denials naming the same categories, every decision journaled before anything is released,
// and nothing at all when the access log cannot be written. `npm run hive-gateway` starts it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLog } from '../lib/audit/log.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { devSecret, issueDevToken } from '../lib/auth/dev-issuer.ts';
import type { HttpService } from '../lib/http-server.ts';
import { startHiveGateway } from '../gateway/hive/server.ts';
import { startRunningStack } from './support/stack-command.ts';
import { PERSON } from './support/queries.ts';
import { gql, startTestStack, type GraphQLResponse, type Requester, type TestStack } from './support/stack.ts';
import { ROOT } from './support/run-command.ts';

const PAINTER = '756.1234.5678.97';
const PARTIAL_PENSION = '756.4444.5555.62';

/** An access log whose appends can be made to fail; everything else is a memory log's. */
function failableLog(): { log: AuditLog; fail(on: boolean): void } {
  const inner = new MemoryAuditLog();
  let failing = false;
  const log = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (failing && String(prop).startsWith('append')) return async () => Promise.reject(new Error('log down'));
      return value.bind(target);
    },
  }) as unknown as AuditLog;
  return { log, fail: (on) => void (failing = on) };
}

let stack: TestStack;
let hive: HttpService;
const audit = failableLog();

beforeAll(async () => {
  stack = await startTestStack({ audit: audit.log });
  hive = await startHiveGateway({ config: stack.config, policy: stack.policy, credentialKeys: stack.credentialKeys, port: 0 });
});
afterAll(async () => {
  await hive?.close();
  await stack?.close();
});

const REQUESTERS: Record<string, Requester> = {
  'AI case manager in the painter\'s AI case': { institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' },
  'ORP counsellor in the painter\'s ORP case': { institution: 'AC', role: 'counsellor', purpose: 'cii', caseReference: 'ORP-GE-2026-0412' },
  'social worker without a case reference': { institution: 'AS', role: 'social-worker', purpose: 'cii' },
  'CII referent, no consent': { institution: 'CII', role: 'cii-referent', purpose: 'cii', caseReference: 'CII-GE-2026-0042' },
  'PC officer with no open case for the painter': { institution: 'PC', role: 'pc-officer', purpose: 'benefit-assessment', caseReference: 'PC-GE-2025-0401' },
  'AI physician': { institution: 'AI', role: 'physician', purpose: 'early-intervention', caseReference: 'AI-GE-2026-0815' },
};

/** What a client relies on: the data, and per error its path, code, category and reason. */
const answer = ({ status, body }: GraphQLResponse) => ({
  status,
  data: body.data,
  errors: (body.errors ?? [])
    .map((e) => ({ path: e.path?.join('.'), code: e.extensions?.code, category: e.extensions?.category, reason: e.extensions?.reason }))
    .sort((a, b) => `${a.path}`.localeCompare(`${b.path}`)),
});

describe('behind Hive Gateway, the subgraphs', () => {
  for (const [who, requester] of Object.entries(REQUESTERS)) {
    it(`answer the ${who} exactly as behind ciigraph's gateway`, async () => {
      for (const avs of [PAINTER, PARTIAL_PENSION]) {
        const own = answer(await gql(stack.gatewayUrl, PERSON, { avs }, stack.as(requester)));
        const viaHive = answer(await gql(hive.url, PERSON, { avs }, stack.as(requester)));
        expect(viaHive).toEqual(own);
      }
    });
  }

  it('deny field by field, naming the category: ai.medical never leaves the AI, consent categories need one', async () => {
    const { body } = await gql(hive.url, PERSON, { avs: PAINTER }, stack.as(REQUESTERS['ORP counsellor in the painter\'s ORP case']!));
    expect(body.data.person.unemployment.entitlement).toMatchObject({ remainingDays: 50 });
    expect(body.data.person.disability.filedOn).toBe('2026-06-15');
    expect(body.data.person.disability.medical).toBeNull();
    expect(body.data.person.disability.workCapacity).toBeNull();
    const byPath = new Map(body.errors!.map((e) => [e.path!.join('.'), e.extensions]));
    expect(byPath.get('person.disability.medical')).toMatchObject({ code: 'FORBIDDEN', category: 'ai.medical' });
    expect(byPath.get('person.disability.workCapacity')).toMatchObject({ code: 'FORBIDDEN', category: 'ai.workCapacity' });
  });

  it('journal every decision made through it, with the requester and the case reference, before answering', async () => {
    const dpo = stack.as({ institution: 'CII', role: 'dpo' });
    const LOG = `query($avs: ID!, $case: String) { accessLog(avs: $avs, caseReference: $case, first: 1000) { institution role category decision legalBasis caseReference } }`;
    const before = (await gql(hive.url, LOG, { avs: PAINTER, case: 'AI-GE-2026-0815' }, dpo)).body.data.accessLog.length;
    const q = `query($avs: ID!) { person(avs: $avs) { disability { filedOn } unemployment { entitlement { remainingDays } } } }`;
    await gql(hive.url, q, { avs: PAINTER }, stack.as(REQUESTERS['AI case manager in the painter\'s AI case']!));
    const { body } = await gql(hive.url, LOG, { avs: PAINTER, case: 'AI-GE-2026-0815' }, dpo);
    const fresh = body.data.accessLog.slice(0, body.data.accessLog.length - before);
    expect(fresh).toEqual(
      expect.arrayContaining([
        { institution: 'AI', role: 'case-manager', category: 'ai.file', decision: 'ALLOWED', legalBasis: 'LAI art. 66 with LAVS art. 49a', caseReference: 'AI-GE-2026-0815' },
        { institution: 'AI', role: 'case-manager', category: 'ac.entitlement', decision: 'DENIED', legalBasis: null, caseReference: 'AI-GE-2026-0815' },
      ]),
    );
  });

  it('release nothing when the access log cannot be written (AUDIT_UNAVAILABLE), and serve again once it can', async () => {
    const q = `query($avs: ID!) { person(avs: $avs) { avs unemployment { office } } }`;
    const counsellor = stack.as(REQUESTERS['ORP counsellor in the painter\'s ORP case']!);
    audit.fail(true);
    try {
      const { body } = await gql(hive.url, q, { avs: PAINTER }, counsellor);
      expect(body.data?.person?.unemployment ?? null).toBeNull();
      expect(body.errors?.map((e) => e.extensions?.code)).toContain('AUDIT_UNAVAILABLE');
      expect(JSON.stringify(body)).not.toContain('ORP Genève');
    } finally {
      audit.fail(false);
    }
    const { body } = await gql(hive.url, q, { avs: PAINTER }, counsellor);
    expect(body.data.person.unemployment.office).toBe('ORP Genève – Jonction');
  });

  it('refuse a request without a valid token (401) or with an unknown purpose (400) before any subgraph is called', async () => {
    stack.mocks!.resetCounters();
    const none = await gql(hive.url, PERSON, { avs: PAINTER });
    expect(none.status).toBe(401);
    expect(none.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await gql(hive.url, PERSON, { avs: PAINTER }, { authorization: `Bearer ${stack.token({ institution: 'AI', role: 'case-manager' })}x` });
    expect(forged.status).toBe(401);
    const purpose = await gql(hive.url, PERSON, { avs: PAINTER }, { ...stack.as(REQUESTERS['AI physician']!), 'x-purpose': 'curiosity' });
    expect(purpose.status).toBe(400);
    expect(purpose.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(Object.values(stack.mocks!.calls).every((n) => n === 0)).toBe(true);
  });
});

describe('npm run hive-gateway', () => {
  it('starts the subgraphs behind Hive Gateway in one command, which enforces the policy, and stops on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ciigraph-hive-'));
    const env = { ...process.env, NODE_ENV: 'development', DEV_TOKEN_SECRET_FILE: join(dir, 'secret'), CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-key') };
    const hiveStack = await startRunningStack('npm', ['run', '--silent', 'hive-gateway'], { cwd: ROOT, env, readyTimeoutMs: 60_000 });
    const { url } = hiveStack;
    try {
      expect(hiveStack.output()).toContain(`Hive Gateway on ${url}/graphql`);
      const token = issueDevToken(devSecret(join(dir, 'secret')), { institution: 'AI', role: 'case-manager', sub: 'hive-test' }, { issuer: 'ciigraph-dev', audience: 'ciigraph', ttlSeconds: 300 });
      const { body } = await gql(url, PERSON, { avs: PAINTER }, { authorization: `Bearer ${token}`, 'x-purpose': 'cii', 'x-case-reference': 'AI-GE-2026-0815' });
      expect(body.data.person.disability.medical.diagnoses).toEqual(['Bilateral knee osteoarthritis (gonarthrosis)']);
      expect(body.data.person.unemployment.entitlement).toBeNull();
      expect(body.errors?.find((e) => e.path?.join('.') === 'person.unemployment.entitlement')?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement' });
    } finally {
      await hiveStack.stop('SIGINT');
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 120_000);
});
