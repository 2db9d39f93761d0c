// The consent registry and the access log through the gateway, on each storage backend:
// recording and revoking consents (who may, what is accepted), their effect on the very next
// request, and the access log for data-protection officers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';
import { storeConsentForm } from './support/consents.ts';

const PAINTER = '756.1234.5678.97';
const ORP_ONLY = '756.9876.5432.17';
/** Each person's signed form, stored before the tests (a consent's evidence names a stored form of that person). */
const forms = new Map<string, string>();
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id recipients categories purpose validUntil grantedAt revokedAt recordedBy { institution role subject } } }`;
const REVOKE = `mutation($id: ID!) { revokeConsent(id: $id) { id revokedAt } }`;
const ENTITLEMENT = `query($avs: ID!) { person(avs: $avs) { unemployment { entitlement { remainingDays } } } }`;
const CONSENTS = `query($avs: ID!) { person(avs: $avs) { consents { id purpose revokedAt } } }`;
const LOG = `query($avs: ID!, $first: Int, $before: ID, $caseReference: String) {
  accessLog(avs: $avs, first: $first, before: $before, caseReference: $caseReference) {
    id at institution role subject category decision legalBasis consentId purpose caseReference subgraph } }`;

const input = (over: Record<string, unknown> = {}) => {
  const avs = (over.avs as string | undefined) ?? PAINTER;
  return { avs, recipients: ['AI'], categories: ['ac.entitlement'], purpose: 'cii', validUntil: inDays(180), evidence: forms.get(avs) ?? 'f'.repeat(64), ...over };
};

describe.each(['memory', 'redis'] as const)('consent registry and access log (%s)', (backend) => {
  let redis: RedisServerHandle | undefined;
  let stack: TestStack;
  // Naming no case: each person's own open AI case applies (the painter's, and the one the AI opens below).
  const caseManager = (caseReference?: string) => stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', sub: 'laura.rossi', ...(caseReference ? { caseReference } : {}) });
  const dpo = () => stack.as({ institution: 'CII', role: 'dpo', sub: 'dpo-ge' });
  const ask = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => gql(stack.gatewayUrl, query, variables, headers);

  beforeAll(async () => {
    if (backend === 'redis') redis = await startRedisServer();
    stack = await startTestStack({ env: redis ? { REDIS_URL: redis.url, REDIS_PREFIX: `t${Date.now()}:` } : {} });
    // The person registered at the ORP only becomes a case of every other institution and the CII.
    for (const [institution, caseReference] of [['AI', 'AI-TEST-1'], ['AS', 'CASE-A'], ['AS', 'CASE-B'], ['PC', 'PC-TEST-1'], ['CII', 'CII-TEST-1']] as const) {
      await stack.cases.openCase({ avs: ORP_ONLY, institution, caseReference, on: '2026-11-01' });
    }
    for (const avs of [PAINTER, ORP_ONLY]) forms.set(avs, await storeConsentForm(stack.gatewayUrl, caseManager()));
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('records a consent, which releases the category on the next request, until it is revoked', async () => {
    const painters = () => caseManager('AI-GE-2026-0815');
    const denied = await ask(ENTITLEMENT, { avs: PAINTER }, painters());
    expect(denied.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement' });

    const granted = await ask(GRANT, { input: input({ recipients: ['AI', 'AI'], evidence: forms.get(PAINTER)!.toUpperCase() }) }, painters());
    expect(granted.body.errors).toBeUndefined();
    const consent = granted.body.data.grantConsent;
    expect(consent).toMatchObject({
      recipients: ['AI'],
      categories: ['ac.entitlement'],
      purpose: 'cii',
      revokedAt: null,
      recordedBy: { institution: 'AI', role: 'case-manager', subject: 'laura.rossi' },
    });
    expect(Date.now() - Date.parse(consent.grantedAt)).toBeLessThan(60_000);

    const allowed = await ask(ENTITLEMENT, { avs: PAINTER }, painters());
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.person.unemployment.entitlement.remainingDays).toBe(50);

    // Another institution may not withdraw it (CONTRACT.md section 7); the AI that recorded it may.
    const notTheirs = await ask(REVOKE, { id: consent.id }, stack.as({ institution: 'AS', role: 'social-worker' }));
    expect(notTheirs.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await ask(ENTITLEMENT, { avs: PAINTER }, painters())).body.errors).toBeUndefined();
    const revoked = await ask(REVOKE, { id: consent.id }, caseManager());
    expect(revoked.body.data.revokeConsent.revokedAt).toBeTruthy();
    const again = await ask(ENTITLEMENT, { avs: PAINTER }, painters());
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement' });
    // A second revocation keeps the first one's time.
    const twice = await ask(REVOKE, { id: consent.id }, caseManager());
    expect(twice.body.data.revokeConsent.revokedAt).toBe(revoked.body.data.revokeConsent.revokedAt);
  });

  it('refuses bad consent input with BAD_USER_INPUT, naming the field, and stores nothing', async () => {
    const before = (await ask(CONSENTS, { avs: ORP_ONLY }, caseManager())).body.data.person.consents.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ avs: '756.9876.5432.18' }, /input\.avs: .*check digit/],
      [{ categories: ['ac.entitlment'] }, /input\.categories\.0: is not a category of the catalogue/],
      [{ categories: [] }, /input\.categories: name at least one category/],
      [{ recipients: [] }, /input\.recipients: name at least one recipient/],
      [{ purpose: '  ' }, /input\.purpose: a purpose is required/],
      [{ purpose: 'shopping' }, /input\.purpose: must be a purpose of the active policy/],
      [{ validUntil: inDays(-1) }, /input\.validUntil: must be after today/],
      [{ validUntil: inDays(0) }, /input\.validUntil: must be after today/],
      [{ validUntil: inDays(800) }, /input\.validUntil: must be at most 2 years ahead/],
      [{ validUntil: '31.12.2027' }, /input\.validUntil: must be an ISO date/],
      [{ evidence: 'abc' }, /input\.evidence: must be the SHA-256/],
      [{ evidence: 'f'.repeat(64) }, /input\.evidence: names no stored consent form/],
      [{ evidence: 'PAINTER' }, /input\.evidence: is the form of another person's consent/],
      [{ categories: ['ai.medical'], recipients: ['AC', 'AI'] }, /"ai\.medical" never leaves AI: no consent can release it to AC/],
    ];
    for (const [over, message] of cases) {
      const evidence = over.evidence === 'PAINTER' ? { evidence: forms.get(PAINTER) } : {};
      const { status, body } = await ask(GRANT, { input: input({ avs: ORP_ONLY, ...over, ...evidence }) }, caseManager());
      expect(body.errors?.[0]?.extensions?.code, JSON.stringify(over)).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message, JSON.stringify(over)).toMatch(message);
      expect(status).toBeLessThan(500);
    }
    // An unknown institution fails GraphQL's own input coercion, with the same code.
    const enumError = await ask(GRANT, { input: input({ avs: ORP_ONLY, recipients: ['ORP'] }) }, caseManager());
    expect(enumError.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await ask(CONSENTS, { avs: ORP_ONLY }, caseManager())).body.data.person.consents).toHaveLength(before);
    // ai.medical to the AI itself is a valid consent.
    expect((await ask(GRANT, { input: input({ avs: ORP_ONLY, categories: ['ai.medical'], recipients: ['AI'] }) }, caseManager())).body.errors).toBeUndefined();
  });

  it('lets only the roles with permission consent.record record or revoke', async () => {
    for (const who of [
      { institution: 'AI', role: 'physician' },
      { institution: 'AC', role: 'dpo' },
    ]) {
      const g = await ask(GRANT, { input: input() }, stack.as(who));
      expect(g.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const r = await ask(REVOKE, { id: 'whatever' }, stack.as(who));
      expect(r.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    for (const who of [
      { institution: 'AC', role: 'counsellor' },
      { institution: 'AS', role: 'social-worker' },
      { institution: 'PC', role: 'pc-officer' },
      { institution: 'AS', role: 'cii-referent' },
    ]) {
      expect((await ask(GRANT, { input: input({ avs: ORP_ONLY }) }, stack.as(who))).body.errors).toBeUndefined();
    }
    const unknown = await ask(REVOKE, { id: 'no-such-consent' }, caseManager());
    expect(unknown.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/No consent has the id/) });
  });

  it('shows a person\'s consents to the staff who handle them, not to a physician', async () => {
    const seen = await ask(CONSENTS, { avs: ORP_ONLY }, stack.as({ institution: 'PC', role: 'pc-officer' }));
    expect(seen.body.data.person.consents.length).toBeGreaterThan(0);
    const physician = await ask(CONSENTS, { avs: ORP_ONLY }, stack.as({ institution: 'AI', role: 'physician' }));
    expect(physician.body.data.person.consents).toBeNull();
    expect(physician.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'consent.records' });
  });

  it('gives the access log to the dpo only: newest first, paged, filtered by case, with the basis of every access', async () => {
    // A few accesses to read back.
    for (const caseReference of ['CASE-A', 'CASE-B', 'CASE-A']) {
      await ask(`query($avs: ID!) { person(avs: $avs) { unemployment { office } } }`, { avs: ORP_ONLY }, stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii', caseReference }));
    }
    const refused = await ask(LOG, { avs: ORP_ONLY }, caseManager());
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'audit.accessLog' });

    const { body } = await ask(LOG, { avs: ORP_ONLY }, dpo());
    expect(body.errors).toBeUndefined();
    const log = body.data.accessLog;
    const ids = log.map((e: { id: string }) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // The dpo's own reading is the newest entry.
    expect(log[0]).toMatchObject({ institution: 'CII', role: 'dpo', subject: 'dpo-ge', category: 'audit.accessLog', decision: 'ALLOWED', legalBasis: 'nDSG art. 10 al. 2' });
    const as = log.find((e: { role: string }) => e.role === 'social-worker');
    expect(as).toMatchObject({ category: 'ac.registration', decision: 'ALLOWED', legalBasis: 'LACI art. 85f', purpose: 'cii', subgraph: 'unemployment' });
    expect(log.some((e: { decision: string; consentId: string | null }) => e.decision === 'DENIED' || e.consentId)).toBe(true);

    const caseA = (await ask(LOG, { avs: ORP_ONLY, caseReference: 'CASE-A' }, dpo())).body.data.accessLog;
    expect(caseA.length).toBe(2);
    expect(caseA.every((e: { caseReference: string }) => e.caseReference === 'CASE-A')).toBe(true);

    const page1 = (await ask(LOG, { avs: ORP_ONLY, first: 2 }, dpo())).body.data.accessLog;
    expect(page1).toHaveLength(2);
    const page2 = (await ask(LOG, { avs: ORP_ONLY, first: 2, before: page1[1].id }, dpo())).body.data.accessLog;
    expect(Number(page2[0].id)).toBeLessThan(Number(page1[1].id));

    for (const [vars, message] of [
      [{ first: 1001 }, /at most 1000/],
      [{ first: 0 }, /at least 1/],
      [{ before: 'x' }, /an access-log entry id/],
    ] as const) {
      const bad = await ask(LOG, { avs: ORP_ONLY, ...vars }, dpo());
      expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.body.errors?.[0]?.message).toMatch(message);
    }
    const badAvs = await ask(LOG, { avs: '756.1' }, dpo());
    expect(badAvs.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("lets the person concerned read who accessed their data, and their consents, and nobody else's (nDSG art. 25)", async () => {
    const self = stack.as({ institution: 'CII', role: 'data-subject', sub: ORP_ONLY });
    const own = await ask(LOG, { avs: ORP_ONLY }, self);
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data.accessLog.some((e: { role: string }) => e.role === 'social-worker')).toBe(true);
    expect(own.body.data.accessLog[0]).toMatchObject({ role: 'data-subject', legalBasis: 'nDSG art. 25', decision: 'ALLOWED' });
    const consents = await ask(CONSENTS, { avs: ORP_ONLY }, self);
    expect(consents.body.data.person.consents.length).toBeGreaterThan(0);

    const other = await ask(LOG, { avs: PAINTER }, self);
    expect(other.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'audit.accessLog' });
    const files = await ask(ENTITLEMENT, { avs: ORP_ONLY }, self);
    expect(files.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.registration' });
  });

  it('keeps the access log a valid hash chain', async () => {
    const verdict = await stack.audit.verify();
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.count).toBeGreaterThan(10);
  });
});
