// Point 1 of issue 19 (CONTRACT.md section 7): every grant and revocation of a consent, and every
// case opened or closed, is an entry of the access log's chain with its action and the consent
// id or case reference it concerns; the DPO reads every consent with who recorded it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeConsentForm } from './support/consents.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const SA_ONLY = '756.1111.2222.39';
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`;
const REVOKE = `mutation($id: ID!) { revokeConsent(id: $id) { id revokedAt } }`;
const LOG = `query($avs: ID!) { accessLog(avs: $avs, first: 1000) { id action institution role subject category decision consentId caseReference } }`;
const CONSENTS = `query($avs: ID!) { person(avs: $avs) { consents { id purpose revokedAt recordedBy { institution role subject } revokedBy { institution role subject } } } }`;

describe.each(['memory', 'redis'] as const)('consent and case actions in the access log (%s)', (backend) => {
  let redis: RedisServerHandle | undefined;
  let stack: TestStack;
  const socialWorker = () => stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii', sub: 'sw.dupont' });
  const counsellor = () => stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii', sub: 'orp.marc' });
  const dpo = () => stack.as({ institution: 'CII', role: 'dpo', sub: 'dpo-ge' });

  beforeAll(async () => {
    if (backend === 'redis') redis = await startRedisServer();
    stack = await startTestStack({ env: redis ? { REDIS_URL: redis.url, REDIS_PREFIX: `j${Date.now()}:` } : {} });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('journals CASE_OPENED, CONSENT_GRANTED, CONSENT_REVOKED and CASE_CLOSED, each naming what it concerns, in one valid chain', async () => {
    const opened = await gql(stack.gatewayUrl, `mutation { openCase(input: { avs: "${SA_ONLY}", caseReference: "ORP-J-1" }) { caseReference } }`, {}, counsellor());
    expect(opened.body.errors).toBeUndefined();
    const evidence = await storeConsentForm(stack.gatewayUrl, counsellor());
    const granted = await gql(stack.gatewayUrl, GRANT, { input: { avs: SA_ONLY, recipients: ['AC'], categories: ['as.benefits', 'as.situation'], purpose: 'placement', validUntil: inDays(90), evidence } }, counsellor());
    expect(granted.body.errors).toBeUndefined();
    const id = granted.body.data.grantConsent.id;
    expect((await gql(stack.gatewayUrl, REVOKE, { id }, counsellor())).body.errors).toBeUndefined();
    // A second revocation changes nothing and is not journaled again.
    expect((await gql(stack.gatewayUrl, REVOKE, { id }, counsellor())).body.errors).toBeUndefined();
    expect((await gql(stack.gatewayUrl, `mutation { closeCase(avs: "${SA_ONLY}", caseReference: "ORP-J-1") { closedOn } }`, {}, counsellor())).body.errors).toBeUndefined();

    const { body } = await gql(stack.gatewayUrl, LOG, { avs: SA_ONLY }, dpo());
    expect(body.errors).toBeUndefined();
    const actions = (body.data.accessLog as { action: string }[]).filter((e) => e.action !== 'READ').reverse();
    const who = { institution: 'AC', role: 'counsellor', subject: 'orp.marc', decision: 'ALLOWED' };
    expect(actions).toMatchObject([
      { action: 'CASE_OPENED', category: 'case.repertory', caseReference: 'ORP-J-1', ...who },
      { action: 'CONSENT_GRANTED', category: 'consent.records', consentId: id, ...who },
      { action: 'CONSENT_REVOKED', category: 'consent.records', consentId: id, ...who },
      { action: 'CASE_CLOSED', category: 'case.repertory', caseReference: 'ORP-J-1', ...who },
    ]);
    expect(await stack.audit.verify()).toMatchObject({ ok: true });
  });

  it('gives the DPO every consent of a person with who recorded and who withdrew it, and no registry data', async () => {
    const evidence = await storeConsentForm(stack.gatewayUrl, socialWorker());
    const granted = await gql(stack.gatewayUrl, GRANT, { input: { avs: SA_ONLY, recipients: ['AI'], categories: ['as.benefits'], purpose: 'cii', validUntil: inDays(30), evidence } }, socialWorker());
    expect(granted.body.errors).toBeUndefined();
    const { body } = await gql(stack.gatewayUrl, CONSENTS, { avs: SA_ONLY }, dpo());
    expect(body.errors).toBeUndefined();
    const consents = body.data.person.consents as { id: string; recordedBy: unknown; revokedBy: unknown }[];
    expect(consents.find((c) => c.id === granted.body.data.grantConsent.id)).toMatchObject({ recordedBy: { institution: 'AS', role: 'social-worker', subject: 'sw.dupont' }, revokedBy: null });
    expect(consents.find((c) => c.revokedBy !== null)).toMatchObject({ recordedBy: { subject: 'orp.marc' }, revokedBy: { institution: 'AC', role: 'counsellor', subject: 'orp.marc' } });
    // The DPO's reading is journaled; their registry reads are denied.
    const log = (await gql(stack.gatewayUrl, LOG, { avs: SA_ONLY }, dpo())).body.data.accessLog as { role: string; category: string; decision: string }[];
    expect(log.some((e) => e.role === 'dpo' && e.category === 'consent.records' && e.decision === 'ALLOWED')).toBe(true);
    const registry = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { socialAssistance { openedOn } } }`, { avs: SA_ONLY }, dpo());
    expect(registry.body.data.person.socialAssistance).toBeNull();
    expect(registry.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'as.dossier' });
  });
});
