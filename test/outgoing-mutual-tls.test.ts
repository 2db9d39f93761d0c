// Outgoing calls to registries and subgraphs over mutual TLS, against local TLS servers that
// demand a client certificate: the configured CA bundle and client certificate make the call,
// without them (or trusting another CA) nothing gets through; an answer larger than the
// configured cap is cut off, whatever it announces, and costs only its own part.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayService } from '../gateway/server.ts';
import { createHttpClient, httpClientFromFiles, ResponseTooLarge } from '../lib/http-client.ts';
import { startMockRegistries, type MockRegistries } from '../mocks/server.ts';
import { makeTestPki, type TestPki } from './support/certificates.ts';
import { personsWithEveryFile } from './support/persons.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';
import { startTlsProxy, type TlsProxy } from './support/tls-proxy.ts';

const PAINTER = '756.1234.5678.97';
let pki: TestPki;

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.remove());

describe('the HTTP client against a server that demands a client certificate', () => {
  let server: Server;
  let url: string;
  const big = 'x'.repeat(300_000);

  beforeAll(async () => {
    server = createServer(
      { key: pki.read(pki.serverKey), cert: pki.read(pki.serverCert), ca: pki.read(pki.caCert), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        if (req.url === '/big') return void res.writeHead(200, { 'content-length': String(big.length) }).end(big);
        // No length announced: the cap must count what arrives.
        if (req.url === '/big-chunked') {
          res.writeHead(200);
          for (let i = 0; i < 30; i++) res.write(big.slice(0, 10_000));
          return void res.end();
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ subject: (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN }));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));

  it('calls it with the configured CA bundle and client certificate; the server sees the certificate', async () => {
    const call = httpClientFromFiles({ caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey, maxResponseBytes: 1_000_000 });
    const res = await call(`${url}/`, {}, 5000);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ subject: 'client' });
  });

  it('gets nothing through without the client certificate, without the CA, or trusting another CA', async () => {
    const attempts = [
      createHttpClient({ ca: pki.read(pki.caCert) }),
      createHttpClient({ cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) }),
      createHttpClient({ ca: pki.read(pki.otherCaCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) }),
    ];
    for (const call of attempts) await expect(call(`${url}/`, {}, 5000)).rejects.toThrow();
  });

  it('cuts off an answer larger than the cap, announced or not', async () => {
    const call = createHttpClient({ ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey), maxResponseBytes: 100_000 });
    await expect(call(`${url}/big`, {}, 5000)).rejects.toBeInstanceOf(ResponseTooLarge);
    await expect(call(`${url}/big-chunked`, {}, 5000)).rejects.toBeInstanceOf(ResponseTooLarge);
    // Under the cap, the same client reads it.
    const roomy = createHttpClient({ ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey), maxResponseBytes: 400_000 });
    expect((await (await roomy(`${url}/big`, {}, 5000)).text()).length).toBe(big.length);
  });

  it('refuses a certificate or key file it cannot read, at start', () => {
    expect(() => httpClientFromFiles({ caFile: `${pki.dir}/missing.pem`, maxResponseBytes: 1 })).toThrow(/missing\.pem/);
  });
});

describe('a stack whose registries and subgraphs are reached over mutual TLS', () => {
  let mocks: MockRegistries;
  let registryProxy: TlsProxy;
  let subgraphProxy: TlsProxy;
  let stack: TestStack;
  let gateway: GatewayService;
  const tls = () => ({ caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey });

  beforeAll(async () => {
    mocks = await startMockRegistries({ host: '127.0.0.1', port: 0 });
    registryProxy = await startTlsProxy(mocks.url, pki);
    stack = await startTestStack({
      env: {
        UNEMPLOYMENT_REGISTRY_URL: `${registryProxy.url}/plasta`,
        DISABILITY_REGISTRY_URL: `${registryProxy.url}/ai-files`,
        SOCIAL_ASSISTANCE_REGISTRY_URL: `${registryProxy.url}/social-assistance`,
        SUPPLEMENTARY_BENEFITS_REGISTRY_URL: `${registryProxy.url}/pc`,
        REGISTRY_CA_FILE: pki.caCert,
        REGISTRY_CERT_FILE: pki.clientCert,
        REGISTRY_KEY_FILE: pki.clientKey,
        // A single person's files fit; a caseload's answer from one registry does not.
        REGISTRY_MAX_RESPONSE_BYTES: '3000',
      },
      gateway: false,
    });
    // The gateway reaches the disability subgraph through a TLS proxy that demands its certificate.
    subgraphProxy = await startTlsProxy(new URL(stack.config.subgraphUrls.disability).origin, pki);
    const config = {
      ...stack.config,
      subgraphUrls: { ...stack.config.subgraphUrls, disability: `${subgraphProxy.url}/graphql` },
      outgoing: { ...stack.config.outgoing, subgraphs: { ...tls(), maxResponseBytes: 10_000_000 } },
    };
    gateway = await startGateway({ config, policy: stack.policy, credentialKeys: stack.credentialKeys, port: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await subgraphProxy?.close();
    await registryProxy?.close();
    await mocks?.close();
  });

  it('answers from the registries and the subgraph behind mutual TLS', async () => {
    // Real registries (here behind the proxy): the repertory starts empty, so the AI opens its case first.
    await stack.cases.openCase({ avs: PAINTER, institution: 'AI', caseReference: 'AI-GE-2026-0815', on: '2026-11-01' });
    const headers = stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
    const { status, body } = await gql(gateway.url, `query($avs: ID!) { person(avs: $avs) { disability { status } unemployment { office } } }`, { avs: PAINTER }, headers);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.person.disability.status).toBe('EARLY_INTERVENTION');
    expect(body.data.person.unemployment.office).toBeTruthy();
    expect(registryProxy.forwarded).toBeGreaterThan(0);
    expect(subgraphProxy.forwarded).toBeGreaterThan(0);
    // Readiness reaches the subgraph over the same mutual TLS.
    expect((await (await fetch(`${gateway.adminUrl}/readyz`)).json()).subgraphs.disability).toBe('up');
  });

  it('cuts off a registry answer above the cap: that registry is unavailable for the request, the rest is served', async () => {
    const avs = personsWithEveryFile(40);
    const headers = stack.as({ institution: 'AC', role: 'counsellor' });
    const { status, body } = await gql(gateway.url, `query($avs: [ID!]!) { persons(avs: $avs) { avs unemployment { office } } }`, { avs }, headers);
    expect(status).toBe(200);
    expect(body.data.persons).toHaveLength(avs.length);
    expect(body.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toContain('REGISTRY_UNAVAILABLE');
  });
});
