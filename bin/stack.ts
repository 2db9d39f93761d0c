// The composition root: one stack = (mock registries) + five subgraphs + the gateway, each
// on its own port and talking real HTTP, sharing one consent store in this process.
// `npm start` and the end-to-end tests both start it from here.
import { REGISTRY_PATHS, REGISTRY_SUBGRAPHS, SUBGRAPHS, type Config, type SubgraphName } from '../lib/config.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { ConsentStore } from '../lib/consents/store.ts';
import type { HttpService } from '../lib/http-server.ts';
import { openStores } from '../lib/stores.ts';
import type { CaseRepertory } from '../lib/cases/store.ts';
import { MOCK_CASE_SEED } from '../mocks/cases.ts';
import { loadPolicy, type Policy } from '../lib/access/policy.ts';
import type { AuditLog } from '../lib/audit/log.ts';
import { credentialVerifierFromConfig, ephemeralCredentialKeys, gatewayCredentialKeys, type CredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { httpClientFromFiles } from '../lib/http-client.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { startGateway } from '../gateway/server.ts';
import { startMockRegistries, type MockRegistries } from '../mocks/server.ts';
import type { SubgraphDeps } from '../subgraphs/shared/definition.ts';
import { startSubgraph } from '../subgraphs/shared/server.ts';
import { define as unemployment } from '../subgraphs/unemployment/index.ts';
import { define as disability } from '../subgraphs/disability/index.ts';
import { define as socialAssistance } from '../subgraphs/social-assistance/index.ts';
import { define as supplementaryBenefits } from '../subgraphs/supplementary-benefits/index.ts';
import { define as consent } from '../subgraphs/consent/index.ts';

export const SUBGRAPH_DEFINITIONS = {
  unemployment,
  disability,
  'social-assistance': socialAssistance,
  'supplementary-benefits': supplementaryBenefits,
  consent,
} satisfies Record<SubgraphName, (deps: SubgraphDeps) => unknown>;

export interface StackOptions {
  config: Config;
  /** Bind every service to a free port instead of the configured ones (tests). */
  ephemeralPorts?: boolean;
  /** Registry latency of the mocks, in ms. */
  mockLatencyMs?: number;
  clock?: Clock;
  consents?: ConsentStore;
  cases?: CaseRepertory;
  audit?: AuditLog;
  /** Which services to start; default all. */
  only?: readonly SubgraphName[];
  gateway?: boolean;
}

export interface Stack {
  config: Config;
  gatewayUrl: string;
  /** Where the gateway serves /readyz and /metrics (its own URL without an admin port). */
  adminUrl: string;
  services: HttpService[];
  mocks: MockRegistries | undefined;
  consents: ConsentStore;
  cases: CaseRepertory;
  audit: AuditLog;
  policy: Policy;
  /** The gateway's credential keys (the private half never leaves this process). */
  credentialKeys: CredentialKeys;
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const started: HttpService[] = [];
  const port = (p: number) => (opts.ephemeralPorts ? 0 : p);
  let config: Config = { ...opts.config, registryUrls: { ...opts.config.registryUrls }, subgraphUrls: { ...opts.config.subgraphUrls } };
  const catalogue = loadCatalogue();
  const policy = loadPolicy(catalogue, config.policyFile);
  // The gateway's own keys only where it runs: a subgraph's container holds no private key.
  const keys = opts.gateway === false ? ephemeralCredentialKeys() : gatewayCredentialKeys(config);
  const credentials = credentialVerifierFromConfig(config, keys);
  // The mocks' persons start with their cases (CONTRACT.md section 6); real registries, with none.
  const stores = openStores(config, {
    ...(opts.consents ? { consents: opts.consents } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}),
    ...(opts.cases ? { cases: opts.cases } : {}),
    ...(config.useMocks ? { caseSeed: MOCK_CASE_SEED } : {}),
  });
  const { consents, audit } = stores;
  let mocks: MockRegistries | undefined;
  try {
    await stores.ready();
    if (config.useMocks) {
      mocks = await startMockRegistries({ host: config.host, port: port(config.ports.mocks), latencyMs: opts.mockLatencyMs ?? 0 });
      for (const s of REGISTRY_SUBGRAPHS) config.registryUrls[s] = `${mocks.url}${REGISTRY_PATHS[s]}`;
    }
    const deps: SubgraphDeps = {
      config,
      catalogue,
      policy,
      consents,
      cases: stores.cases,
      audit,
      journal: stores.journal,
      readFacts: stores.readFacts,
      clock: opts.clock ?? systemClock,
      credentials,
      registryCall: httpClientFromFiles(config.outgoing.registries),
      storesStatus: () => stores.status(),
    };
    const names = opts.only ?? SUBGRAPHS;
    const subgraphs = await Promise.all(
      names.map((name) => startSubgraph(SUBGRAPH_DEFINITIONS[name](deps) as never, deps, port(config.ports[name]))),
    );
    started.push(...subgraphs);
    subgraphs.forEach((s, i) => (config.subgraphUrls[names[i]!] = `${s.url}/graphql`));
    config = { ...config };
    let gatewayUrl = '';
    let adminUrl = '';
    let closing: Promise<void> | undefined;
    if (opts.gateway !== false) {
      const adminPort = config.ports.admin === undefined ? undefined : port(config.ports.admin);
      const gateway = await startGateway({ config, policy, catalogue, journal: stores.journal, consents, credentialKeys: keys, port: port(config.ports.gateway), adminPort });
      started.push(gateway);
      gatewayUrl = gateway.url;
      adminUrl = gateway.adminUrl;
    }
    return {
      config,
      gatewayUrl,
      adminUrl,
      services: started,
      mocks,
      consents,
      cases: stores.cases,
      audit,
      policy,
      credentialKeys: keys,
      // Idempotent: a second stop waits for the first.
      close: () =>
        (closing ??= (async () => {
          // Gateway first, so nothing new reaches the subgraphs while they drain.
          for (const s of [...started].reverse()) await s.close();
          await mocks?.close();
          await stores.close();
          credentials.close();
        })()),
    };
  } catch (e) {
    for (const s of started.reverse()) await s.close().catch(() => {});
    await mocks?.close().catch(() => {});
    await stores.close().catch(() => {});
    credentials.close();
    throw e;
  }
}
