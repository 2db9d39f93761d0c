// CONTRACT.md section 6 through the gateway: a release outside the own mandate needs an open
// case of the requester's institution for that person, the named reference must be that case,
// and a denial for want of a case reads the same whether or not the data exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedConsent } from './support/consents.ts';
import { personsWithEveryFile } from './support/persons.ts';
import { gql, startTestStack, type Requester, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const ORP_ONLY = '756.9876.5432.17';
const SOCIAL_ASSISTANCE_ONLY = '756.1111.2222.39';
const PARTIAL_PENSION = '756.4444.5555.62';

const DISABILITY_FILE = `query($avs: ID!) { person(avs: $avs) { disability { filedOn status } } }`;
const DISABILITY_DECISION = `query($avs: ID!) { person(avs: $avs) { disability { decision { invalidityDegree pension } } } }`;
const REGISTRATION = `query($avs: ID!) { person(avs: $avs) { unemployment { registeredSince } } }`;
const PC_ENTITLEMENT = `query($avs: ID!) { person(avs: $avs) { supplementaryBenefits { entitledSince } } }`;

const counsellor = (caseReference?: string): Requester => ({ institution: 'AC', role: 'counsellor', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });
const caseManager = (caseReference?: string): Requester => ({ institution: 'AI', role: 'case-manager', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });
const socialWorker = (caseReference?: string): Requester => ({ institution: 'AS', role: 'social-worker', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });
const pcOfficer = (caseReference?: string): Requester => ({ institution: 'PC', role: 'pc-officer', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });
const ciiReferent = (caseReference?: string): Requester => ({ institution: 'AS', role: 'cii-referent', purpose: 'cii', ...(caseReference ? { caseReference } : {}) });

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
  // The CII referent's releases are consents: the painter's and the social-assistance-only person's, to the CII.
  for (const avs of [PAINTER, SOCIAL_ASSISTANCE_ONLY]) {
    await seedConsent(stack.consents, { avs, recipients: ['CII'], categories: ['ai.file', 'as.dossier'], purpose: 'cii' });
  }
});
afterAll(async () => stack?.close());

const ask = (query: string, avs: string, r: Requester) => gql(stack.gatewayUrl, query, { avs }, stack.as(r));

function expectDeniedForWantOfCase(body: Awaited<ReturnType<typeof ask>>['body'], category: string) {
  expect(body.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FORBIDDEN', category, reason: 'NO_OPEN_CASE' })]);
}

describe('every scenario case releases what its legal basis or consent allows', () => {
  const rows: [string, string, Requester, string, (data: any) => unknown][] = [
    ['AC ORP-GE-2026-0412 reads the painter\'s AI file (LAI 68bis)', PAINTER, counsellor('ORP-GE-2026-0412'), DISABILITY_FILE, (d) => d.person.disability.filedOn],
    ['AI AI-GE-2026-0815 reads his ORP registration (LPGA 32)', PAINTER, caseManager('AI-GE-2026-0815'), REGISTRATION, (d) => d.person.unemployment.registeredSince],
    ['AS HG-GE-2026-1187 reads his ORP registration (LACI 85f)', PAINTER, socialWorker('HG-GE-2026-1187'), REGISTRATION, (d) => d.person.unemployment.registeredSince],
    ['CII CII-GE-2026-0042 reads his AI file (his consent)', PAINTER, ciiReferent('CII-GE-2026-0042'), DISABILITY_FILE, (d) => d.person.disability.filedOn],
    ['AS HG-GE-2024-0519 reads her ORP registration (LACI 85f), released though she has none', SOCIAL_ASSISTANCE_ONLY, socialWorker('HG-GE-2024-0519'), REGISTRATION, (d) => d.person.unemployment === null],
    ['AC ORP-VD-2025-3301 reads his AI file (LAI 68bis), released though he has none', ORP_ONLY, counsellor('ORP-VD-2025-3301'), DISABILITY_FILE, (d) => d.person.disability === null],
    ['AI AI-GE-2023-0306 reads her PC entitlement (LPGA 32)', PARTIAL_PENSION, caseManager('AI-GE-2023-0306'), PC_ENTITLEMENT, (d) => d.person.supplementaryBenefits.entitledSince],
    ['PC PC-GE-2025-0401 reads her AI decision (LPGA 32)', PARTIAL_PENSION, pcOfficer('PC-GE-2025-0401'), DISABILITY_DECISION, (d) => d.person.disability.decision.invalidityDegree],
  ];
  it.each(rows)('%s', async (_, avs, requester, query, value) => {
    const { body } = await ask(query, avs, requester);
    expect(body.errors).toBeUndefined();
    expect(value(body.data)).toBeTruthy();
  });

  it('and a generated person\'s generated case', async () => {
    const [avs] = personsWithEveryFile(1);
    const digits = avs!.replace(/\D/g, '');
    const { body } = await ask(DISABILITY_FILE, avs!, counsellor(`AC-GEN-${digits}`));
    expect(body.errors).toBeUndefined();
    expect(body.data.person.disability.filedOn).toBeTruthy();
  });
});

describe('a reference that is not the person\'s open case releases nothing', () => {
  it('a made-up reference: the ORP learns nothing of a person it does not follow', async () => {
    const { body } = await ask(DISABILITY_DECISION, PARTIAL_PENSION, counsellor('MADE-UP-1'));
    expect(body.data.person.disability).toBeNull();
    expectDeniedForWantOfCase(body, 'ai.file');
  });

  it('a made-up reference for a person the ORP does follow', async () => {
    const { body } = await ask(DISABILITY_FILE, PAINTER, counsellor('MADE-UP-1'));
    expect(body.data.person.disability).toBeNull();
    expectDeniedForWantOfCase(body, 'ai.file');
  });

  it("another person's reference", async () => {
    const { body } = await ask(DISABILITY_FILE, PARTIAL_PENSION, counsellor('ORP-GE-2026-0412'));
    expect(body.data.person.disability).toBeNull();
    expectDeniedForWantOfCase(body, 'ai.file');
  });

  it("another institution's reference for the same person", async () => {
    const { body } = await ask(DISABILITY_FILE, PAINTER, counsellor('AI-GE-2026-0815'));
    expect(body.data.person.disability).toBeNull();
    expectDeniedForWantOfCase(body, 'ai.file');
  });

  it('own-mandate releases need no case', async () => {
    const { body } = await ask(DISABILITY_DECISION, '756.9999.8888.77', caseManager());
    expect(body.errors?.filter((e) => e.extensions?.reason === 'NO_OPEN_CASE') ?? []).toEqual([]);
  });
});

describe('a caseload: each person\'s own open case applies', () => {
  it('mixes persons with and without a case at social assistance', async () => {
    const persons = [PAINTER, ORP_ONLY, SOCIAL_ASSISTANCE_ONLY];
    const { body } = await gql(
      stack.gatewayUrl,
      `query($avs: [ID!]!) { persons(avs: $avs) { avs unemployment { measures { kind } } } }`,
      { avs: persons },
      stack.as(socialWorker()),
    );
    const denied = (body.errors ?? []).map((e) => [e.path?.[1], e.extensions?.reason]);
    // The ORP-only person has ORP measures, but no case at social assistance: only his are denied.
    expect(denied).toEqual([[1, 'NO_OPEN_CASE']]);
    expect(body.data.persons[0].unemployment.measures.length).toBeGreaterThan(0);
    expect(body.data.persons[1].unemployment).toBeNull();
    expect(body.data.persons[2].unemployment).toBeNull();
  });

  it('still needs a reference named where the legal basis requires one (LPGA 32)', async () => {
    const { body } = await ask(REGISTRATION, PAINTER, caseManager());
    expect(body.data.person.unemployment).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.registration', reason: 'CONDITION_UNMET' });
  });
});

describe('CII referents', () => {
  it('read under a consent where the CII has a case', async () => {
    const { body } = await ask(DISABILITY_FILE, PAINTER, ciiReferent());
    expect(body.errors).toBeUndefined();
    expect(body.data.person.disability.filedOn).toBeTruthy();
  });

  it('read nothing under the same consent where it has none', async () => {
    const { body } = await ask(`query($avs: ID!) { person(avs: $avs) { socialAssistance { openedOn } } }`, SOCIAL_ASSISTANCE_ONLY, ciiReferent());
    expect(body.data.person.socialAssistance).toBeNull();
    expectDeniedForWantOfCase(body, 'as.dossier');
  });
});

describe('a case opened, read under, and closed', () => {
  const OPEN = `mutation($input: OpenCaseInput!) { openCase(input: $input) { institution caseReference openedOn closedOn } }`;
  const CLOSE = `mutation($avs: ID!, $ref: String!) { closeCase(avs: $avs, caseReference: $ref) { closedOn } }`;

  it('releases while open and nothing from the next request after it closed', async () => {
    const ref = 'ORP-GE-2026-7001';
    const before = await ask(DISABILITY_FILE, PARTIAL_PENSION, counsellor(ref));
    expectDeniedForWantOfCase(before.body, 'ai.file');

    const opened = await gql(stack.gatewayUrl, OPEN, { input: { avs: PARTIAL_PENSION, caseReference: ref } }, stack.as(counsellor()));
    expect(opened.body.errors).toBeUndefined();
    expect(opened.body.data.openCase).toMatchObject({ institution: 'AC', caseReference: ref, closedOn: null });

    const during = await ask(DISABILITY_FILE, PARTIAL_PENSION, counsellor(ref));
    expect(during.body.errors).toBeUndefined();
    expect(during.body.data.person.disability.filedOn).toBeTruthy();

    const closed = await gql(stack.gatewayUrl, CLOSE, { avs: PARTIAL_PENSION, ref }, stack.as(counsellor()));
    expect(closed.body.errors).toBeUndefined();
    expect(closed.body.data.closeCase.closedOn).toBeTruthy();

    const after = await ask(DISABILITY_FILE, PARTIAL_PENSION, counsellor(ref));
    expect(after.body.data.person.disability).toBeNull();
    expectDeniedForWantOfCase(after.body, 'ai.file');
  });

  it('refuses a reference open for another person, and closing what is not open', async () => {
    const taken = await gql(stack.gatewayUrl, OPEN, { input: { avs: PARTIAL_PENSION, caseReference: 'ORP-GE-2026-0412' } }, stack.as(counsellor()));
    expect(taken.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const notOpen = await gql(stack.gatewayUrl, CLOSE, { avs: PAINTER, ref: 'ORP-NEVER-OPENED' }, stack.as(counsellor()));
    expect(notOpen.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // The painter's real case is untouched by either.
    const still = await ask(DISABILITY_FILE, PAINTER, counsellor('ORP-GE-2026-0412'));
    expect(still.body.errors).toBeUndefined();
  });

  it('is the requester\'s own institution\'s: physicians, DPOs and the person may not', async () => {
    for (const r of [{ institution: 'AI', role: 'physician' }, { institution: 'AI', role: 'dpo' }]) {
      const { body } = await gql(stack.gatewayUrl, OPEN, { input: { avs: PARTIAL_PENSION, caseReference: 'X-1' } }, stack.as(r));
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});

describe('a denial for want of a case reads the same whether or not the data exists', () => {
  it('byte for byte, for a person with an AI file and a person without one', async () => {
    // Neither is a case of this ORP; one has an AI decision, the other no AI file at all.
    const withFile = await ask(DISABILITY_DECISION, PARTIAL_PENSION, counsellor('MADE-UP-2'));
    const withoutFile = await ask(DISABILITY_DECISION, ORP_ONLY, counsellor('MADE-UP-2'));
    expectDeniedForWantOfCase(withFile.body, 'ai.file');
    expect(withFile.status).toBe(withoutFile.status);
    expect(withFile.text).toBe(withoutFile.text);
  });
});
