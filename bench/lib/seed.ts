// What every run of the benchmark prepares and seeds: its key files and tokens, and the
// cases and consents of the scenarios' persons, opened and granted through the gateway as a
// case platform would, so that nothing a requester may read in its cases is denied.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devSecret, issueDevToken } from '../../lib/auth/dev-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import { CASELOAD_CONSENTED_CATEGORIES, CASELOAD_REQUESTER, CONSENTED_CATEGORIES, REQUESTER, type Scenario } from '../queries.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));

export interface Env {
  dir: string;
  outDir: string;
  headers: Record<string, string>;
  /** A caseload names no case reference: each person's own open case applies (CONTRACT.md section 6). */
  caseloadHeaders: Record<string, string>;
  childEnv: Record<string, string>;
  privateKeyFile: string;
  publicKeyFile: string;
}

export function prepareEnv(stamp: string): Env {
  const dir = mkdtempSync(join(os.tmpdir(), 'ciigraph-bench-'));
  const outDir = join(BENCH, 'out', stamp);
  mkdirSync(outDir, { recursive: true });
  const secretFile = join(dir, 'dev-token-secret');
  const consentKeyFile = join(dir, 'consent-signing-key');
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKeyFile = join(dir, 'gateway-credential.key');
  const publicKeyFile = join(dir, 'gateway-credential.pub');
  writeFileSync(privateKeyFile, privateKey, { mode: 0o600 });
  writeFileSync(publicKeyFile, publicKey);
  const childEnv = { DEV_TOKEN_SECRET_FILE: secretFile, CONSENT_SIGNING_KEY_FILE: consentKeyFile };
  const config = loadConfig({ NODE_ENV: 'test', ...childEnv });
  const tokenOf = (claims: { institution: string; role: string; sub: string; purpose: string }) =>
    issueDevToken(devSecret(secretFile), claims, { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: 6 * 3600 });
  // The case reference goes in Q1's header only.
  const { case: _case, ...claims } = REQUESTER;
  const token = tokenOf(claims);
  return {
    dir,
    outDir,
    childEnv,
    privateKeyFile,
    publicKeyFile,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-purpose': REQUESTER.purpose,
      'x-case-reference': REQUESTER.case,
    },
    caseloadHeaders: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf(CASELOAD_REQUESTER)}`, 'x-purpose': CASELOAD_REQUESTER.purpose },
  };
}

export async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
  const text = await res.text();
  let json: { data?: unknown; errors?: { message: string; extensions?: { code?: string; category?: string } }[] } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // reported through status/errors
  }
  return { status: res.status, text, json };
}

/** The headers a scenario's requests carry: a caseload names no case reference. */
export const headersOf = (env: Env, s: Scenario) => (s.persons.length > 1 ? env.caseloadHeaders : env.headers);

/**
 * Every person of the queries gets an open case at the requester's institution, then a
 * consent, through the gateway, so nothing is denied (CONTRACT.md section 6).
 */
async function seedCases(url: string, headers: Record<string, string>, persons: readonly string[], referenceOf: (avs: string) => string): Promise<void> {
  for (let i = 0; i < persons.length; i += 25) {
    const chunk = persons.slice(i, i + 25);
    const vars = chunk.map((_, k) => `$i${k}: OpenCaseInput!`).join(', ');
    const fields = chunk.map((_, k) => `o${k}: openCase(input: $i${k}) { caseReference }`).join(' ');
    const variables = Object.fromEntries(chunk.map((avs, k) => [`i${k}`, { avs, caseReference: referenceOf(avs) }]));
    const { status, json } = await post(url, headers, JSON.stringify({ query: `mutation Open(${vars}) { ${fields} }`, variables }));
    if (status !== 200 || json.errors?.length) throw new Error(`openCase failed: ${status} ${JSON.stringify(json.errors).slice(0, 500)}`);
  }
}

/** Each scenario's persons get their cases and consents from the scenario's requester. */
export async function seedScenarios(url: string, env: Env, list: readonly Scenario[]): Promise<void> {
  const single = [...new Set(list.filter((s) => s.persons.length === 1).flatMap((s) => s.persons))];
  const caseload = [...new Set(list.filter((s) => s.persons.length > 1).flatMap((s) => s.persons))];
  // Q1 names the painter's AI case: it must be open (the mocks' repertory seed is not the bench's).
  if (single.length) await seedConsents(url, env.headers, single, () => REQUESTER.case, 'AI', CONSENTED_CATEGORIES);
  if (caseload.length) await seedConsents(url, env.caseloadHeaders, caseload, (avs) => `HG-BENCH-${avs.replace(/\D/g, '')}`, 'AS', CASELOAD_CONSENTED_CATEGORIES);
}

/**
 * Every person gets an open case and a consent through the gateway, so nothing is denied:
 * grantConsent mutations, 25 per operation (aliases; the gateway allows 30).
 */
async function seedConsents(
  url: string,
  headers: Record<string, string>,
  persons: readonly string[],
  referenceOf: (avs: string) => string,
  recipient: string,
  categories: readonly string[],
): Promise<void> {
  await seedCases(url, headers, persons, referenceOf);
  const validUntil = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const chunks: string[][] = [];
  for (let i = 0; i < persons.length; i += 25) chunks.push(persons.slice(i, i + 25));
  const worker = async () => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      const vars = chunk.map((_, i) => `$i${i}: GrantConsentInput!`).join(', ');
      const fields = chunk.map((_, i) => `g${i}: grantConsent(input: $i${i}) { id }`).join(' ');
      const variables = Object.fromEntries(
        chunk.map((avs, i) => [
          `i${i}`,
          { avs, recipients: [recipient], categories, purpose: 'cii', validUntil, evidence: randomBytes(32).toString('hex') },
        ]),
      );
      const { status, json } = await post(url, headers, JSON.stringify({ query: `mutation Grant(${vars}) { ${fields} }`, variables }));
      if (status !== 200 || json.errors?.length) throw new Error(`grantConsent failed: ${status} ${JSON.stringify(json.errors).slice(0, 500)}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}
