// Point 2 of issue 19 (CONTRACT.md sections 6 and 7): a consent is withdrawn only by the
// institution that recorded it or by the person, and a staff requester's view of a person's
// consents says nothing about which other institutions follow them: byte for byte the same for
// a person followed by social assistance and one followed by no one else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeConsentForm } from './support/consents.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const FOLLOWED_BY_AS = '756.1111.2222.39'; // social assistance only (case HG-GE-2024-0519)
const NOT_FOLLOWED = '756.0000.0000.19'; // known to no institution
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`;
const REVOKE = `mutation($id: ID!) { revokeConsent(id: $id) { id revokedAt } }`;
const CONSENTS = `query($avs: ID!) { person(avs: $avs) { consents { id recipients categories purpose validUntil grantedAt revokedAt recordedBy { institution role subject } } } }`;

let stack: TestStack;
const socialWorker = () => stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii', sub: 'sw.dupont' });
const pcOfficer = () => stack.as({ institution: 'PC', role: 'pc-officer', purpose: 'cii', sub: 'pc.muller' });
const counsellor = () => stack.as({ institution: 'AC', role: 'counsellor', purpose: 'placement', sub: 'orp.marc' });
let asConsent: string;

beforeAll(async () => {
  stack = await startTestStack();
  // Both persons are open cases of the PC and the ORP; only one is followed by social assistance.
  for (const avs of [FOLLOWED_BY_AS, NOT_FOLLOWED]) {
    const digits = avs.replace(/\D/g, '');
    await stack.cases.openCase({ avs, institution: 'PC', caseReference: `PC-T-${digits}`, on: '2026-11-01' });
    await stack.cases.openCase({ avs, institution: 'AC', caseReference: `ORP-T-${digits}`, on: '2026-11-01' });
  }
  const evidence = await storeConsentForm(stack.gatewayUrl, socialWorker());
  const granted = await gql(stack.gatewayUrl, GRANT, { input: { avs: FOLLOWED_BY_AS, recipients: ['AC'], categories: ['as.benefits', 'as.situation'], purpose: 'placement', validUntil: inDays(60), evidence } }, socialWorker());
  expect(granted.body.errors).toBeUndefined();
  asConsent = granted.body.data.grantConsent.id;
});
afterAll(async () => stack?.close());

describe('consents are no side channel', () => {
  it("gives a PC officer the same bytes for a person followed by social assistance and one followed by no one else", async () => {
    const followed = await gql(stack.gatewayUrl, CONSENTS, { avs: FOLLOWED_BY_AS }, pcOfficer());
    const notFollowed = await gql(stack.gatewayUrl, CONSENTS, { avs: NOT_FOLLOWED }, pcOfficer());
    expect(followed.body.errors).toBeUndefined();
    expect(followed.text).toBe(notFollowed.text);
    // The DPO, by contrast, sees the consent and its recorder.
    const dpo = await gql(stack.gatewayUrl, CONSENTS, { avs: FOLLOWED_BY_AS }, stack.as({ institution: 'CII', role: 'dpo' }));
    expect(dpo.body.data.person.consents).toMatchObject([{ id: asConsent, recordedBy: { institution: 'AS', role: 'social-worker', subject: 'sw.dupont' } }]);
  });

  it('shows the recipient the consent it relies on, but not who recorded it', async () => {
    const seen = await gql(stack.gatewayUrl, CONSENTS, { avs: FOLLOWED_BY_AS }, counsellor());
    expect(seen.body.errors).toBeUndefined();
    expect(seen.body.data.person.consents).toEqual([expect.objectContaining({ id: asConsent, recipients: ['AC'], recordedBy: null })]);
  });

  it('shows staff consents only within an open case of their institution', async () => {
    const noCase = await gql(stack.gatewayUrl, CONSENTS, { avs: FOLLOWED_BY_AS }, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii' }));
    expect(noCase.body.data.person.consents).toBeNull();
    expect(noCase.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'consent.records', reason: 'NO_OPEN_CASE' });
  });

  it('refuses a withdrawal by another institution, and by another person, with FORBIDDEN and without the consent', async () => {
    for (const who of [pcOfficer(), counsellor(), stack.as({ institution: 'CII', role: 'cii-referent', purpose: 'cii' }), stack.as({ institution: 'CII', role: 'data-subject', sub: NOT_FOLLOWED })]) {
      const refused = await gql(stack.gatewayUrl, REVOKE, { id: asConsent }, who);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.text).not.toContain('as.benefits');
    }
    const still = await gql(stack.gatewayUrl, CONSENTS, { avs: FOLLOWED_BY_AS }, stack.as({ institution: 'CII', role: 'dpo' }));
    expect(still.body.data.person.consents[0].revokedAt).toBeNull();
  });

  it('lets the person withdraw it, journaled as withdrawn by the person', async () => {
    const self = stack.as({ institution: 'CII', role: 'data-subject', sub: FOLLOWED_BY_AS });
    const withdrawn = await gql(stack.gatewayUrl, REVOKE, { id: asConsent }, self);
    expect(withdrawn.body.errors).toBeUndefined();
    expect(withdrawn.body.data.revokeConsent.revokedAt).toBeTruthy();
    const log = await gql(stack.gatewayUrl, `query($avs: ID!) { accessLog(avs: $avs) { action role subject consentId } }`, { avs: FOLLOWED_BY_AS }, stack.as({ institution: 'CII', role: 'dpo' }));
    expect(log.body.data.accessLog).toContainEqual({ action: 'CONSENT_REVOKED', role: 'data-subject', subject: FOLLOWED_BY_AS, consentId: asConsent });
  });

  it('lets staff of the recording institution withdraw it', async () => {
    const evidence = await storeConsentForm(stack.gatewayUrl, socialWorker());
    const granted = await gql(stack.gatewayUrl, GRANT, { input: { avs: FOLLOWED_BY_AS, recipients: ['PC'], categories: ['as.dossier'], purpose: 'cii', validUntil: inDays(60), evidence } }, socialWorker());
    const colleague = stack.as({ institution: 'AS', role: 'social-worker', sub: 'sw.keller' });
    const withdrawn = await gql(stack.gatewayUrl, REVOKE, { id: granted.body.data.grantConsent.id }, colleague);
    expect(withdrawn.body.errors).toBeUndefined();
    expect(withdrawn.body.data.revokeConsent.revokedAt).toBeTruthy();
  });
});
