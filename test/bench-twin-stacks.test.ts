// The benchmark reads the policy's cost between twins: one subgraphs process holding the
// subgraphs with enforcement on and the same subgraphs with it off, one gateway process with a
// gateway on each. The figure means something only if the twin really is the unenforced stack
// and the other really enforces: asked the same thing, one refuses and journals, one answers.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeFlagsOf, startChild, type Child } from '../bench/lib/children.ts';
import { devSecret, issueDevToken } from '../lib/auth/dev-issuer.ts';
import { loadConfig } from '../lib/config.ts';

const children: Child[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
});

describe('bench: enforcement on and off as twins in the same processes', () => {
  it('serves an enforcing gateway and, beside it in the same process, one that does not enforce', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ciigraph-twins-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(join(dir, 'key'), privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'pub'), publicKey);
    const env = { DEV_TOKEN_SECRET_FILE: join(dir, 'secret'), CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-key') };
    const runtimeFlags = await runtimeFlagsOf();
    const subgraphs = await startChild({
      name: 'subgraphs-twins',
      serve: { mode: 'subgraphs', enforcement: true, twin: true },
      env: { ...env, GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES: join(dir, 'pub') },
      logDir: dir,
      runtimeFlags,
    });
    children.push(subgraphs);
    const { subgraphUrls, twinSubgraphUrls } = subgraphs.ready;
    expect(twinSubgraphUrls).toBeDefined();
    expect(Object.values(twinSubgraphUrls!)).not.toEqual(Object.values(subgraphUrls!));
    const gateway = await startChild({
      name: 'gateway-twins',
      serve: { mode: 'gateway', subgraphUrls: subgraphUrls!, twinSubgraphUrls },
      env: { ...env, GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: join(dir, 'key') },
      logDir: dir,
      runtimeFlags,
    });
    children.push(gateway);
    expect(gateway.pid).not.toBe(subgraphs.pid);

    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const token = issueDevToken(devSecret(env.DEV_TOKEN_SECRET_FILE), { institution: 'AC', role: 'counsellor', sub: 'c-1' }, {
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ttlSeconds: 600,
    });
    const ask = async (url: string) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'cii' },
        body: JSON.stringify({ query: '{ person(avs: "756.1234.5678.97") { disability { medical { diagnoses } } } }' }),
      });
      return (await res.json()) as { data?: { person: { disability: { medical: { diagnoses: string[] } | null } } }; errors?: { extensions?: { code?: string; category?: string } }[] };
    };
    // ai.medical stays with the AI: the enforcing gateway refuses it to an ORP counsellor...
    const on = await ask(gateway.ready.url!);
    expect(on.data?.person.disability.medical).toBeNull();
    expect(on.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ai.medical' });
    // ...its twin, the benchmark's baseline, answers.
    const off = await ask(gateway.ready.twinUrl!);
    expect(off.errors).toBeUndefined();
    expect(off.data?.person.disability.medical?.diagnoses.length).toBeGreaterThan(0);
  }, 60_000);
});
