// The benchmark's child process: starts what is under test, prints ONE JSON line on stdout
// ({ ready: true, pid, urls... }), and stops cleanly on SIGTERM/SIGINT or when its stdin
// closes (the orchestrator is gone), so no child outlives a benchmark.
//
//   node --import tsx bench/serve-stack.ts '<json ServeOptions>'
//
// Modes:
//   embedded     mocks + 5 subgraphs + gateway in this one process (bin/stack.ts as is)
//   subgraphs    mocks + 5 subgraphs, no gateway (the split layout's back end)
//   gateway      the gateway alone, against `subgraphUrls` (the split layout's front)
//   in-process   bench/in-process-schema.ts against the registries at `registryBaseUrl`
//   mocks        the mock registries alone (mocks/server.ts) on `port`, with `mockLatencyMs`
//   subgraph     one of ciigraph's subgraphs (`subgraph`), as its own process in production
//   peer-subgraph  the same subgraph served plainly: no credential, policy or journal
//   peer-gateway   a stock Apollo Gateway (RemoteGraphQLDataSource) on the peer subgraphs
// The subgraphs read the registries named by <SUBGRAPH>_REGISTRY_URL when the orchestrator
// sets them (then they start no mocks of their own).
// Commands, one JSON line each on stdin, answered by one JSON line on stdout:
//   {"cmd":"profile-start"}                  starts the V8 CPU profiler (node:inspector)
//   {"cmd":"profile-stop","file":"x.cpuprofile"}  stops it and writes the profile
//   {"cmd":"memory","gc":true}               process.memoryUsage() (heap used, ...), after a full GC if asked
// so a profile covers the measured window only, not the start-up.
// Environment (set by the orchestrator): DEV_TOKEN_SECRET_FILE, CONSENT_SIGNING_KEY_FILE,
// GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE (gateway) / GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES (subgraphs).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { startStack } from '../bin/stack.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import { credentialKeysFromFiles, CredentialVerifier, ephemeralCredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { httpClientFromFiles } from '../lib/http-client.ts';
import { systemClock } from '../lib/clock.ts';
import { loadConfig, REGISTRY_PATHS, REGISTRY_SUBGRAPHS, type Config, type SubgraphName } from '../lib/config.ts';
import { openStores } from '../lib/stores.ts';
import { startGateway } from '../gateway/server.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { startMockRegistries } from '../mocks/server.ts';
import { buildInProcessSchema, serveInProcess } from './in-process-schema.ts';
import { startPeerGateway } from './peer-gateway.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';
import { startUnenforcedSubgraphs } from './unenforced.ts';
import pino from 'pino';
import { logTo } from '../lib/log.ts';

export type ServeMode = 'embedded' | 'subgraphs' | 'gateway' | 'in-process' | 'mocks' | 'subgraph' | 'peer-subgraph' | 'peer-gateway';

export interface ServeOptions {
  mode: ServeMode;
  /** Registry latency of the mocks (embedded, subgraphs). */
  mockLatencyMs?: number;
  /** False: the bench's baseline, the same services without access decisions or journaling (embedded, subgraphs; bench/unenforced.ts). */
  enforcement?: boolean;
  /**
   * subgraphs: also start, in this same process, the same subgraphs with enforcement off (its
   * twin), so the policy's cost is read between two stacks that share a process: whatever makes
   * one process instance run faster than another (JIT, memory layout, vCPU) hits both alike.
   */
  twin?: boolean;
  /** gateway: where the subgraphs are. */
  subgraphUrls?: Record<SubgraphName, string>;
  /** gateway: also start, in this same process, a gateway on these subgraphs (the twin's). */
  twinSubgraphUrls?: Record<SubgraphName, string>;
  /** in-process: base URL of the mock registries (their paths are appended). */
  registryBaseUrl?: string;
  /** subgraph, peer-subgraph: which one. */
  subgraph?: SubgraphName;
  /** mocks: the port to listen on (0: a free one). */
  port?: number;
}

export interface ServeReady {
  ready: true;
  pid: number;
  mode: ServeMode;
  /** Where autocannon points: the gateway (embedded, gateway) or the in-process server. */
  url?: string;
  subgraphUrls?: Record<SubgraphName, string>;
  mocksUrl?: string;
  /** twin / twinSubgraphUrls: the second stack's subgraphs, or the second gateway. */
  twinSubgraphUrls?: Record<SubgraphName, string>;
  twinUrl?: string;
}

interface StartedStack {
  gatewayUrl?: string;
  subgraphUrls: Record<SubgraphName, string>;
  mocksUrl?: string;
  close(): Promise<void>;
}

/** The deps an unenforced subgraph needs: its stores in memory, nothing decided or journaled with them. */
function unenforcedDeps(config: Config) {
  const catalogue = loadCatalogue();
  const stores = openStores({ ...config, redisUrl: undefined });
  const keys = ephemeralCredentialKeys();
  return {
    stores,
    deps: {
      config,
      catalogue,
      policy: loadPolicy(catalogue, config.policyFile),
      consents: stores.consents,
      cases: stores.cases,
      audit: stores.audit,
      journal: stores.journal,
      readFacts: stores.readFacts,
      clock: systemClock,
      credentials: CredentialVerifier.ofKeys(keys),
      registryCall: httpClientFromFiles(config.outgoing.registries),
      storesStatus: () => stores.status(),
    },
  };
}

/** The stack as npm start runs it (enforcement on), or the bench's unenforced baseline (bench/unenforced.ts) on the same pieces. */
async function stackOf(config: Config, o: { enforcement: boolean; gateway: boolean; mockLatencyMs: number }): Promise<StartedStack> {
  if (o.enforcement) {
    const stack = await startStack({ config, ephemeralPorts: true, mockLatencyMs: o.mockLatencyMs, gateway: o.gateway });
    return { gatewayUrl: stack.gatewayUrl, subgraphUrls: stack.config.subgraphUrls, ...(stack.mocks ? { mocksUrl: stack.mocks.url } : {}), close: stack.close };
  }
  const registryUrls = { ...config.registryUrls };
  const mocks = config.useMocks ? await startMockRegistries({ host: config.host, port: 0, latencyMs: o.mockLatencyMs }) : undefined;
  if (mocks) for (const s of REGISTRY_SUBGRAPHS) registryUrls[s] = `${mocks.url}${REGISTRY_PATHS[s]}`;
  const withMocks = { ...config, registryUrls };
  const { deps, stores } = unenforcedDeps(withMocks);
  const subgraphs = await startUnenforcedSubgraphs(deps);
  const keys = ephemeralCredentialKeys();
  const gateway = o.gateway ? await startGateway({ config: { ...withMocks, subgraphUrls: subgraphs.urls }, policy: deps.policy, catalogue: deps.catalogue, credentialKeys: keys, port: 0 }) : undefined;
  return {
    ...(gateway ? { gatewayUrl: gateway.url } : {}),
    subgraphUrls: subgraphs.urls,
    ...(mocks ? { mocksUrl: mocks.url } : {}),
    close: async () => {
      await gateway?.close();
      await subgraphs.close();
      await mocks?.close();
      await stores.close();
    },
  };
}

async function main(): Promise<void> {
  // stdout is the protocol (the ready line, then answers); the services' logs go to stderr.
  logTo(pino.destination(2));
  const opts = JSON.parse(process.argv[2] ?? '{}') as ServeOptions;
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1' });
  let close: () => Promise<void>;
  const ready: ServeReady = { ready: true, pid: process.pid, mode: opts.mode };

  switch (opts.mode) {
    case 'embedded':
    case 'subgraphs': {
      const withGateway = opts.mode === 'embedded';
      const stack = await stackOf(config, { enforcement: opts.enforcement ?? true, gateway: withGateway, mockLatencyMs: opts.mockLatencyMs ?? 0 });
      close = stack.close;
      if (withGateway) ready.url = stack.gatewayUrl;
      ready.subgraphUrls = stack.subgraphUrls;
      if (stack.mocksUrl) ready.mocksUrl = stack.mocksUrl;
      if (opts.twin && opts.mode === 'subgraphs') {
        const twin = await stackOf(config, { enforcement: false, gateway: false, mockLatencyMs: opts.mockLatencyMs ?? 0 });
        close = async () => void (await Promise.all([stack.close(), twin.close()]));
        ready.twinSubgraphUrls = twin.subgraphUrls;
      }
      break;
    }
    case 'gateway': {
      if (!opts.subgraphUrls) throw new Error('gateway mode needs subgraphUrls');
      const keyFile = config.credential.privateKeyFile;
      if (!keyFile) throw new Error('gateway mode needs GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE');
      const policy = loadPolicy(loadCatalogue(), config.policyFile);
      const credentialKeys = credentialKeysFromFiles(keyFile, []);
      const gateway = await startGateway({ config: { ...config, subgraphUrls: opts.subgraphUrls }, policy, credentialKeys, port: 0 });
      close = gateway.close;
      ready.url = gateway.url;
      if (opts.twinSubgraphUrls) {
        const twin = await startGateway({ config: { ...config, subgraphUrls: opts.twinSubgraphUrls }, policy, credentialKeys, port: 0 });
        close = async () => void (await Promise.all([gateway.close(), twin.close()]));
        ready.twinUrl = twin.url;
      }
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
    case 'subgraph': {
      if (!opts.subgraph) throw new Error('subgraph mode needs subgraph');
      const stack = await startStack({ config, ephemeralPorts: true, gateway: false, only: [opts.subgraph] });
      close = stack.close;
      ready.subgraphUrls = stack.config.subgraphUrls;
      break;
    }
    case 'peer-subgraph': {
      if (!opts.subgraph) throw new Error('peer-subgraph mode needs subgraph');
      const { deps, stores } = unenforcedDeps(config);
      const subgraphs = await startUnenforcedSubgraphs(deps, [opts.subgraph]);
      close = async () => {
        await subgraphs.close();
        await stores.close();
      };
      ready.subgraphUrls = subgraphs.urls;
      break;
    }
    case 'peer-gateway': {
      if (!opts.subgraphUrls) throw new Error('peer-gateway mode needs subgraphUrls');
      const peer = await startPeerGateway(readFileSync(SUPERGRAPH_PATH, 'utf8'), opts.subgraphUrls);
      close = peer.close;
      ready.url = peer.url;
      break;
    }
    case 'mocks': {
      const mocks = await startMockRegistries({ host: '127.0.0.1', port: opts.port ?? 0, latencyMs: opts.mockLatencyMs ?? 0 });
      close = mocks.close;
      ready.mocksUrl = mocks.url;
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
  process.stdin.on('error', () => void stop());
  let session: Session | undefined;
  const answer = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const commands = createInterface({ input: process.stdin });
  commands.on('close', () => void stop());
  commands.on('line', (line) => {
    void (async () => {
      let cmd: { cmd?: string; file?: string } = {};
      try {
        cmd = JSON.parse(line) as typeof cmd;
        if (cmd.cmd === 'profile-start') {
          session = new Session();
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 500 });
          await session.post('Profiler.start');
          answer({ ok: true, cmd: cmd.cmd });
        } else if (cmd.cmd === 'profile-stop' && session && cmd.file) {
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(cmd.file, JSON.stringify(profile));
          session.disconnect();
          session = undefined;
          answer({ ok: true, cmd: cmd.cmd, file: cmd.file });
        } else if (cmd.cmd === 'memory') {
          // With --expose-gc (the orchestrator starts every child with it), {"gc":true} first
          // collects everything collectable: the heap left is what the process retains.
          const gc = (globalThis as { gc?: () => void }).gc;
          if ((cmd as { gc?: boolean }).gc && gc) gc();
          answer({ ok: true, cmd: cmd.cmd, collected: Boolean((cmd as { gc?: boolean }).gc && gc), ...process.memoryUsage() });
        } else answer({ ok: false, cmd: cmd.cmd, error: 'unknown command' });
      } catch (e) {
        answer({ ok: false, cmd: cmd.cmd, error: (e as Error).message });
      }
    })();
  });

  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
