// The gateway's credential key rolls over without downtime: each credential names its key
// (kid), subgraphs accept every key the gateway publishes (/credential-keys) or a configured
// set, so a gateway signing with the old key and one signing with the new are both served
// while both are published, and a key no longer published stops being accepted.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CREDENTIAL_HEADER,
  credentialVerifierFromConfig,
  ephemeralCredentialKeys,
  gatewayCredentialKeys,
  signCredential,
  type CredentialClaims,
  type CredentialKeys,
} from '../lib/auth/subgraph-credential.ts';
import { startGateway, type GatewayService } from '../gateway/server.ts';
import { freePort, waitFor } from './support/ports.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const QUERY = `query($avs: ID!) { person(avs: $avs) { disability { status } unemployment { office } } }`;
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-rollover-'));
const oldKeys = ephemeralCredentialKeys();
const newKeys = ephemeralCredentialKeys();
const files = (name: string, keys: CredentialKeys) => {
  const privateKeyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(privateKeyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKeyFile, publicKeyFile };
};
const OLD = files('old', oldKeys);
const NEW = files('new', newKeys);
const CLAIMS: CredentialClaims = { requester: { institution: 'AI', role: 'case-manager', subject: 's' }, requestId: 'r1', purpose: 'cii', caseReference: 'AI-GE-2026-0815' };

let stack: TestStack;
/** Where the subgraphs fetch the gateway's published keys: the admin port of whichever gateway holds it. */
let keysPort: number;
const running: GatewayService[] = [];

async function gateway(signing: { privateKeyFile: string }, published: string[], adminPort = 0): Promise<GatewayService> {
  const config = { ...stack.config, credential: { ...stack.config.credential, privateKeyFile: signing.privateKeyFile, publishedKeyFiles: published } };
  const g = await startGateway({ config, policy: stack.policy, credentialKeys: gatewayCredentialKeys(config), port: 0, adminPort });
  running.push(g);
  return g;
}

const headers = () => stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
const ask = async (g: GatewayService) => {
  const { status, body } = await gql(g.url, QUERY, { avs: PAINTER }, headers());
  return { status, ok: status === 200 && !body.errors && body.data.person.disability.status === 'EARLY_INTERVENTION' };
};

/** A call straight to the disability subgraph with a credential signed by `keys` for its body. */
async function callWith(keys: CredentialKeys): Promise<number> {
  const body = JSON.stringify({ query: `{ _entities(representations: [{ __typename: "Person", avs: "${PAINTER}" }]) { ... on Person { disability { status } } } }` });
  const res = await fetch(stack.config.subgraphUrls.disability, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CREDENTIAL_HEADER]: signCredential(keys, CLAIMS, 'disability', body) },
    body,
  });
  return res.status;
}

beforeAll(async () => {
  keysPort = await freePort();
  stack = await startTestStack({
    gateway: false,
    env: { GATEWAY_CREDENTIAL_JWKS_URL: `http://127.0.0.1:${keysPort}/credential-keys`, JWKS_REFRESH_INTERVAL_S: '1', JWKS_MIN_REFETCH_INTERVAL_S: '0.2' },
  });
});
afterAll(async () => {
  for (const g of running.reverse()) await g.close();
  await stack?.close();
});

describe('with the keys the gateway publishes', () => {
  it('serves a gateway on the old key and one on the new key side by side while both are published, and drops the old one once it is not', async () => {
    // Step 1: the fleet signs with the old key and already publishes the new one.
    const onOld = await gateway(OLD, [NEW.publicKeyFile], keysPort);
    const published = (await (await fetch(`${onOld.adminUrl}/credential-keys`)).json()).keys as Array<{ kid: string; d?: string }>;
    expect(published.map((k) => k.kid)).toEqual([oldKeys.kid, newKeys.kid]);
    expect(published.every((k) => k.d === undefined)).toBe(true);
    expect((await ask(onOld)).ok).toBe(true);

    // Step 2: gateways move to the new key one by one, publishing the old one; both kinds serve at once.
    const onNew = await gateway(NEW, [OLD.publicKeyFile]);
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => ask(i % 2 ? onNew : onOld)));
    expect(answers.every((a) => a.ok)).toBe(true);

    // Step 3: the old key is retired: no gateway publishes it any more.
    await onOld.close();
    await gateway(NEW, [], keysPort);
    expect((await ask(onNew)).ok).toBe(true);
    // Once the subgraph has fetched the keys again (every second here), the old key's credentials are refused.
    await waitFor(async () => ((await callWith(oldKeys)) === 401 ? true : undefined), 15_000, 'the old key to be refused');
    expect(await callWith(newKeys)).toBe(200);
  });
});

describe('with a configured set of public keys', () => {
  const verifierOf = (publicKeyFiles: string[]) =>
    credentialVerifierFromConfig({ credential: { publicKeyFiles, publishedKeyFiles: [] }, auth: stack.config.auth }, ephemeralCredentialKeys());
  const body = Buffer.from('{"query":"{ __typename }"}');

  it('accepts credentials of every key in the set, and refuses a key that left it', async () => {
    const both = verifierOf([OLD.publicKeyFile, NEW.publicKeyFile]);
    for (const keys of [oldKeys, newKeys]) expect((await both.verify(signCredential(keys, CLAIMS, 'disability', body), 'disability', body)).requestId).toBe('r1');
    const newOnly = verifierOf([NEW.publicKeyFile]);
    await expect(newOnly.verify(signCredential(oldKeys, CLAIMS, 'disability', body), 'disability', body)).rejects.toThrow();
    expect((await newOnly.verify(signCredential(newKeys, CLAIMS, 'disability', body), 'disability', body)).requestId).toBe('r1');
  });

  it('names each key by its thumbprint, so the configured PEM files need no key ids', () => {
    const jwk = newKeys.publicKey.export({ format: 'jwk' });
    expect(newKeys.kid).toBe(createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url'));
  });
});
