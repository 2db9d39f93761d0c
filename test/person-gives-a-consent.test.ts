// Point 6 of issue 19: the person gives a consent themselves: they choose recipients,
// categories and purpose, see exactly which fields it would release to whom under the active
// policy, and confirm; journaled as given by the person (CONSENT_CONFIRMED), no staff form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const SA_ONLY = '756.1111.2222.39';
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const PREVIEW = `query($r: [Institution!]!, $c: [String!]!, $p: String!) { consentPreview(recipients: $r, categories: $c, purpose: $p) { recipient role category effect legalBasis fields conditions } }`;
const GIVE = `mutation($input: GiveConsentInput!) { giveConsent(input: $input) { id recipients categories purpose revokedAt recordedBy { institution role subject } } }`;
const BENEFITS = `query($avs: ID!) { person(avs: $avs) { socialAssistance { benefits { monthlyAmount } } } }`;

let stack: TestStack;
const self = () => stack.as({ institution: 'CII', role: 'data-subject', sub: SA_ONLY });
beforeAll(async () => {
  stack = await startTestStack();
  await stack.cases.openCase({ avs: SA_ONLY, institution: 'AC', caseReference: 'ORP-G-1', on: '2026-11-01' });
});
afterAll(async () => stack?.close());

describe('a consent the person gives themselves', () => {
  it('is previewed field by field under the active policy', async () => {
    const { body } = await gql(stack.gatewayUrl, PREVIEW, { r: ['AC'], c: ['as.benefits', 'as.dossier', 'ai.medical'], p: 'placement' }, self());
    expect(body.errors).toBeUndefined();
    const lines = body.data.consentPreview as { role: string; category: string; effect: string; legalBasis: string | null; fields: string[] }[];
    expect(lines).toContainEqual(expect.objectContaining({ role: 'counsellor', category: 'as.benefits', effect: 'consent', fields: expect.arrayContaining(['SocialAssistanceFile.benefits']) }));
    expect(lines).toContainEqual(expect.objectContaining({ role: 'counsellor', category: 'as.dossier', effect: 'law', legalBasis: 'LACI art. 85f' }));
    expect(lines).toContainEqual(expect.objectContaining({ role: 'counsellor', category: 'ai.medical', effect: 'never' }));
    // Only the person previews and gives: staff may not.
    const staff = await gql(stack.gatewayUrl, PREVIEW, { r: ['AC'], c: ['as.benefits'], p: 'placement' }, stack.as({ institution: 'AC', role: 'counsellor' }));
    expect(staff.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('releases what it names once confirmed, journaled CONSENT_CONFIRMED as given by the person, and the person may withdraw it', async () => {
    const counsellor = () => stack.as({ institution: 'AC', role: 'counsellor', purpose: 'placement', caseReference: 'ORP-G-1' });
    expect((await gql(stack.gatewayUrl, BENEFITS, { avs: SA_ONLY }, counsellor())).body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'as.benefits', reason: 'NO_CONSENT' });
    const given = await gql(stack.gatewayUrl, GIVE, { input: { recipients: ['AC'], categories: ['as.benefits'], purpose: 'placement', validUntil: inDays(30) } }, self());
    expect(given.body.errors).toBeUndefined();
    expect(given.body.data.giveConsent).toMatchObject({ recipients: ['AC'], revokedAt: null, recordedBy: { institution: 'CII', role: 'data-subject', subject: SA_ONLY } });
    const released = await gql(stack.gatewayUrl, BENEFITS, { avs: SA_ONLY }, counsellor());
    expect(released.body.errors).toBeUndefined();
    expect(released.body.data.person.socialAssistance.benefits).not.toBeNull();

    const log = await gql(stack.gatewayUrl, `query($avs: ID!) { accessLog(avs: $avs) { action role subject consentId } }`, { avs: SA_ONLY }, stack.as({ institution: 'CII', role: 'dpo' }));
    expect(log.body.data.accessLog).toContainEqual({ action: 'CONSENT_CONFIRMED', role: 'data-subject', subject: SA_ONLY, consentId: given.body.data.giveConsent.id });
    // No staff institution recorded it: none may withdraw it but the person.
    const ciiReferent = await gql(stack.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { id } }`, { id: given.body.data.giveConsent.id }, stack.as({ institution: 'CII', role: 'cii-referent' }));
    expect(ciiReferent.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const withdrawn = await gql(stack.gatewayUrl, `mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }`, { id: given.body.data.giveConsent.id }, self());
    expect(withdrawn.body.data.revokeConsent.revokedAt).toBeTruthy();
  });

  it('is refused for ai.medical outside the AI, bad input, and for anyone but the person', async () => {
    const medical = await gql(stack.gatewayUrl, GIVE, { input: { recipients: ['AC'], categories: ['ai.medical'], purpose: 'placement', validUntil: inDays(30) } }, self());
    expect(medical.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const late = await gql(stack.gatewayUrl, GIVE, { input: { recipients: ['AC'], categories: ['as.benefits'], purpose: 'placement', validUntil: inDays(900) } }, self());
    expect(late.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const notAvs = await gql(stack.gatewayUrl, GIVE, { input: { recipients: ['AC'], categories: ['as.benefits'], purpose: 'placement', validUntil: inDays(30) } }, stack.as({ institution: 'CII', role: 'data-subject', sub: 'someone' }));
    expect(notAvs.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const staff = await gql(stack.gatewayUrl, GIVE, { input: { recipients: ['AC'], categories: ['as.benefits'], purpose: 'placement', validUntil: inDays(30) } }, stack.as({ institution: 'AS', role: 'social-worker' }));
    expect(staff.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
