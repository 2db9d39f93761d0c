// The benchmark's child process: starts what is under test, prints ONE JSON line on stdout
// ({ ready: true, pid, urls... }), and stops cleanly (process.exit, so --cpu-prof writes its
// profile) on SIGTERM/SIGINT or when its stdin closes (the orchestrator is gone).
//
//   node --import tsx bench/serve-stack.ts '<json ServeOptions>'
//
// Modes:
//   embedded     mocks + 5 subgraphs + gateway in this one process (bin/stack.ts as is)
//   subgraphs    mocks + 5 subgraphs, no gateway (the split layout's back end)
//   gateway      the gateway alone, against `subgraphUrls` (the split layout's front)
//   in-process   bench/in-process-schema.ts against the registries at `registryBaseUrl`
// Environment (set by the orchestrator): DEV_TOKEN_SECRET_FILE, CONSENT_SIGNING_KEY_FILE,
// GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE (gateway) / GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE (subgraphs).
import { readFileSync } from 'node:fs';
import { startStack } from '../bin/stack.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import { credentialKeysFromPem } from '../lib/auth/subgraph-credential.ts';
import { loadConfig, REGISTRY_PATHS, REGISTRY_SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { startGateway } from '../gateway/server.ts';
import { loadCatalogue } from '../schema/catalogue.ts';
import { buildInProcessSchema, serveInProcess } from './in-process-schema.ts';

export type ServeMode = 'embedded' | 'subgraphs' | 'gateway' | 'in-process';

export interface ServeOptions {
  mode: ServeMode;
  /** Registry latency of the mocks (embedded, subgraphs). */
  mockLatencyMs?: number;
  /** False: the same services without access decisions or journaling (embedded, subgraphs). */
  enforcement?: boolean;
  /** gateway: where the subgraphs are. */
  subgraphUrls?: Record<SubgraphName, string>;
  /** in-process: base URL of the mock registries (their paths are appended). */
  registryBaseUrl?: string;
}

export interface ServeReady {
  ready: true;
  pid: number;
  mode: ServeMode;
  /** Where autocannon points: the gateway (embedded, gateway) or the in-process server. */
  url?: string;
  subgraphUrls?: Record<SubgraphName, string>;
  mocksUrl?: string;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as ServeOptions;
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1' });
  let close: () => Promise<void>;
  const ready: ServeReady = { ready: true, pid: process.pid, mode: opts.mode };

  switch (opts.mode) {
    case 'embedded':
    case 'subgraphs': {
      const stack = await startStack({
        config,
        ephemeralPorts: true,
        mockLatencyMs: opts.mockLatencyMs ?? 0,
        enforcement: opts.enforcement ?? true,
        gateway: opts.mode === 'embedded',
      });
      close = stack.close;
      if (opts.mode === 'embedded') ready.url = stack.gatewayUrl;
      ready.subgraphUrls = stack.config.subgraphUrls;
      if (stack.mocks) ready.mocksUrl = stack.mocks.url;
      break;
    }
    case 'gateway': {
      if (!opts.subgraphUrls) throw new Error('gateway mode needs subgraphUrls');
      const keyFile = config.credentialKeyFiles.privateKey;
      if (!keyFile) throw new Error('gateway mode needs GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE');
      const policy = loadPolicy(loadCatalogue(), config.policyFile);
      const gateway = await startGateway({
        config: { ...config, subgraphUrls: opts.subgraphUrls },
        policy,
        credentialKeys: credentialKeysFromPem({ privateKey: readFileSync(keyFile, 'utf8') }),
        port: 0,
      });
      close = gateway.close;
      ready.url = gateway.url;
      break;
    }
    case 'in-process': {
      if (!opts.registryBaseUrl) throw new Error('in-process mode needs registryBaseUrl');
      const registryUrls = { ...config.registryUrls };
      for (const s of REGISTRY_SUBGRAPHS) registryUrls[s] = `${opts.registryBaseUrl}${REGISTRY_PATHS[s]}`;
      const server = await serveInProcess(buildInProcessSchema({ ...config, registryUrls }));
      close = server.close;
      ready.url = server.url;
      ready.mocksUrl = opts.registryBaseUrl;
      break;
    }
    default:
      throw new Error(`unknown mode ${String((opts as { mode: unknown }).mode)}`);
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await close().catch((e: unknown) => console.error('close failed:', e));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
