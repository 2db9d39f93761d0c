// Point 3 of issue 19 (CONTRACT.md section 7): consent forms stored by ciigraph, content-
// addressed by SHA-256, type- and size-checked, in the configured store (a directory, or Redis);
// grantConsent refuses evidence that names no stored form; the DPO and the person read a form,
// each reading journaled, and no one else; forms never enter the access log.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentFormPdf, storeConsentForm } from './support/consents.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const SA_ONLY = '756.1111.2222.39';
const PAINTER = '756.1234.5678.97';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a30000000049454e44ae426082', 'hex');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF consent'), Buffer.from([0xff, 0xd9])]);
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`;

describe.each(['directory', 'redis'] as const)('consent forms (%s store)', (backend) => {
  let redis: RedisServerHandle | undefined;
  let stack: TestStack;
  let formDir: string;
  const socialWorker = () => stack.as({ institution: 'AS', role: 'social-worker', purpose: 'cii', sub: 'sw.dupont' });
  const post = (bytes: Buffer | string, headers: Record<string, string>) =>
    fetch(`${stack.gatewayUrl}/consent-forms`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes) });
  const read = (sha: string, headers: Record<string, string>) => fetch(`${stack.gatewayUrl}/consent-forms/${sha}`, { headers });
  const grant = (evidence: string, avs = SA_ONLY) =>
    gql(stack.gatewayUrl, GRANT, { input: { avs, recipients: ['AC'], categories: ['as.benefits'], purpose: 'placement', validUntil: inDays(30), evidence } }, socialWorker());

  beforeAll(async () => {
    if (backend === 'redis') redis = await startRedisServer();
    stack = await startTestStack({ env: redis ? { REDIS_URL: redis.url, REDIS_PREFIX: `f${Date.now()}:` } : {} });
    formDir = stack.config.consentForms.store === 'directory' ? stack.config.consentForms.directory : '';
    expect(stack.config.consentForms.store).toBe(backend);
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('stores a PDF, PNG or JPEG under its SHA-256, for staff who may record consents', async () => {
    for (const bytes of [consentFormPdf(), PNG, JPEG]) {
      const res = await post(bytes, socialWorker());
      expect(res.status).toBe(201);
      expect((await res.json()) as object).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    // The same bytes are the same form.
    const pdf = consentFormPdf();
    expect(await storeConsentForm(stack.gatewayUrl, socialWorker(), pdf)).toBe(await storeConsentForm(stack.gatewayUrl, socialWorker(), pdf));
    if (backend === 'directory') expect(readdirSync(formDir).filter((f) => f.endsWith('.form'))).toHaveLength(4);
  });

  it('refuses what is not a form, too large, or from someone who may not record consents', async () => {
    const text = await post('just some text', socialWorker());
    expect(text.status).toBe(400);
    expect(((await text.json()) as { errors: { message: string; extensions: object }[] }).errors[0]).toMatchObject({ message: expect.stringMatching(/not a PDF, PNG or JPEG/), extensions: { code: 'BAD_USER_INPUT' } });
    expect((await post(Buffer.alloc(0), socialWorker())).status).toBe(400);
    const huge = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5 * 1024 * 1024)]);
    expect((await post(huge, socialWorker())).status).toBe(413);
    for (const who of [{ institution: 'AI', role: 'physician' }, { institution: 'CII', role: 'dpo' }, { institution: 'CII', role: 'data-subject', sub: SA_ONLY }]) {
      const res = await post(consentFormPdf(), stack.as(who));
      expect(res.status, who.role).toBe(403);
    }
    expect((await post(consentFormPdf(), {})).status).toBe(401);
  });

  it('refuses a grant whose evidence names no stored form, or the form of another person', async () => {
    const unknown = await grant(createHash('sha256').update('a form nobody stored').digest('hex'));
    expect(unknown.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/names no stored consent form/) });
    const painters = await storeConsentForm(stack.gatewayUrl, stack.as({ institution: 'AI', role: 'case-manager' }));
    const painterGrant = await gql(stack.gatewayUrl, GRANT, { input: { avs: PAINTER, recipients: ['AI'], categories: ['ac.entitlement'], purpose: 'cii', validUntil: inDays(30), evidence: painters } }, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii' }));
    expect(painterGrant.body.errors).toBeUndefined();
    const borrowed = await grant(painters);
    expect(borrowed.body.errors?.[0]?.message).toMatch(/another person's consent/);
  });

  it('lets the DPO and the person read the form of a consent, each reading journaled; nobody else', async () => {
    const bytes = consentFormPdf();
    const sha = await storeConsentForm(stack.gatewayUrl, socialWorker(), bytes);
    // Named by no consent yet: nobody's form, nothing to read.
    expect((await read(sha, stack.as({ institution: 'CII', role: 'dpo' }))).status).toBe(404);
    const granted = await grant(sha);
    expect(granted.body.errors).toBeUndefined();

    const dpo = await read(sha, stack.as({ institution: 'CII', role: 'dpo', sub: 'dpo-ge' }));
    expect(dpo.status).toBe(200);
    expect(dpo.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await dpo.arrayBuffer()).equals(bytes)).toBe(true);
    const person = await read(sha, stack.as({ institution: 'CII', role: 'data-subject', sub: SA_ONLY }));
    expect(person.status).toBe(200);
    expect(Buffer.from(await person.arrayBuffer()).equals(bytes)).toBe(true);

    expect((await read(sha, stack.as({ institution: 'CII', role: 'data-subject', sub: PAINTER }))).status).toBe(404);
    const staff = await read(sha, socialWorker());
    expect(staff.status).toBe(403);
    expect(((await staff.json()) as { errors: { extensions: object }[] }).errors[0]!.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'consent.forms', reason: 'NO_RULE' });

    const log = await gql(stack.gatewayUrl, `query($avs: ID!) { accessLog(avs: $avs, first: 20) { role subject category decision legalBasis } }`, { avs: SA_ONLY }, stack.as({ institution: 'CII', role: 'dpo' }));
    const forms = (log.body.data.accessLog as { category: string }[]).filter((e) => e.category === 'consent.forms');
    expect(forms).toEqual(
      expect.arrayContaining([
        { role: 'dpo', subject: 'dpo-ge', category: 'consent.forms', decision: 'ALLOWED', legalBasis: 'nDSG art. 10 al. 2' },
        { role: 'data-subject', subject: SA_ONLY, category: 'consent.forms', decision: 'ALLOWED', legalBasis: 'nDSG art. 25' },
        { role: 'social-worker', subject: 'sw.dupont', category: 'consent.forms', decision: 'DENIED', legalBasis: null },
      ]),
    );
    // The DPO and the person find the form through the consent that names it.
    const listed = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { consentForms { sha256 path consentIds } } }`, { avs: SA_ONLY }, stack.as({ institution: 'CII', role: 'data-subject', sub: SA_ONLY }));
    expect(listed.body.data.person.consentForms).toContainEqual({ sha256: sha, path: `/consent-forms/${sha}`, consentIds: [granted.body.data.grantConsent.id] });
  });

  it('keeps forms out of the access log, and serves no form whose bytes were altered', async () => {
    const bytes = consentFormPdf();
    const sha = await storeConsentForm(stack.gatewayUrl, socialWorker(), bytes);
    await grant(sha);
    const all = await stack.audit.query({ avs: SA_ONLY, first: 1000 });
    expect(JSON.stringify(all)).not.toContain(bytes.toString('latin1').slice(0, 60));
    if (backend === 'directory') {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${formDir}/${sha}.form`, Buffer.concat([bytes, Buffer.from('tampered')]));
      expect((await read(sha, stack.as({ institution: 'CII', role: 'dpo' }))).status).toBe(404);
    }
  });
});
