// One ciigraph service per process, for containers (docker-compose.yml):
//   node docker/service.js <gateway | unemployment | disability | social-assistance | supplementary-benefits | consent | mocks>
// (from a checkout: npx tsx docker/service.ts <name>). Configuration is the environment,
// validated by loadConfig like `npm start`. SIGTERM/SIGINT drain and stop the service.
import { fileURLToPath } from 'node:url';
import { loadPolicy } from '../lib/access/policy.ts';
import { Journal } from '../lib/audit/journal.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { gatewayCredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { loadConfig, SUBGRAPHS, type Config, type SubgraphName } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { setLogLevel } from '../lib/log.ts';
import { closeRedis, createRedis } from '../lib/redis/connection.ts';
import { openConsentFormStore } from '../lib/consent-forms/open.ts';
import { startGateway } from '../gateway/server.ts';
import { startMockRegistries } from '../mocks/server.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { startStack } from '../bin/stack.ts';
import { answerHelp } from '../bin/cli.ts';

export const SERVICES = ['gateway', ...SUBGRAPHS, 'mocks'] as const;
export type ServiceName = (typeof SERVICES)[number];

interface Running {
  url: string;
  close(): Promise<void>;
}

/** The problems that stop `name` from running alone in its process, before anything starts. */
export function serviceProblems(name: ServiceName, config: Config): string[] {
  const problems: string[] = [];
  const { privateKeyFile, publicKeyFiles, jwksUrl } = config.credential;
  if (name === 'mocks') {
    if (config.env === 'production') problems.push('NODE_ENV=production: the mock registries never run in production');
  } else if (name === 'gateway') {
    // Subgraphs in other processes must verify what it signs: no ephemeral key pair here.
    if (!privateKeyFile) problems.push('gatewayCredential.privateKeyFile (GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE): required (the subgraphs run in other processes)');
  } else {
    if (!publicKeyFiles.length && !jwksUrl) problems.push('gatewayCredential.jwksUrl or publicKeyFiles (GATEWAY_CREDENTIAL_JWKS_URL, GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES): required (the gateway runs in another process)');
    // Several processes each embedding the mocks would fight over one port: name the registries.
    if (config.useMocks) problems.push('registries.<subgraph>.url (<SUBGRAPH>_REGISTRY_URL): required (one service per process never embeds the mocks; point them at the mocks service)');
  }
  return problems;
}

export async function startService(name: ServiceName, config: Config): Promise<Running> {
  const problems = serviceProblems(name, config);
  if (problems.length) throw new StartupError('environment', problems);
  if (name === 'mocks') return startMockRegistries({ host: config.host, port: config.ports.mocks, maxRecordedLookups: 10_000 });
  if (name === 'gateway') {
    const policy = loadPolicy(loadCatalogue(), config.policyFile);
    const credentialKeys = gatewayCredentialKeys(config);
    // The shared access log, for the DPO's /policy/access-log page. Not the consent store: the
    // gateway never reads consents, so it holds no consent signing key; nor the log's signing
    // key: what it journals is sealed by the subgraphs' next checkpoint (every N records or T s).
    const redis = config.audit.redisUrl ? createRedis(config.audit.redisUrl, { name: 'ciigraph gateway audit' }) : undefined;
    const journal = redis ? new Journal(new RedisAuditLog(redis, { prefix: config.audit.redisPrefix, durability: config.audit.durability })) : undefined;
    try {
      // The signed consent forms: stored here (POST /consent-forms), bound by the consent subgraph.
      const forms = openConsentFormStore(config, redis);
      const gateway = await startGateway({ config, policy, credentialKeys, forms, ...(journal ? { journal } : {}) });
      return {
        url: gateway.url,
        close: async () => {
          await gateway.close();
          if (redis) await closeRedis(redis);
        },
      };
    } catch (e) {
      if (redis) await closeRedis(redis);
      throw e;
    }
  }
  // A subgraph: the stack's own composition root restricted to it (as `npm run subgraph`),
  // so its dependencies (stores, policy, credential key) are built exactly as in `npm start`.
  const stack = await startStack({ config, only: [name as SubgraphName], gateway: false });
  return { url: stack.services[0]!.url, close: () => stack.close() };
}

async function main() {
  const name = process.argv[2] as ServiceName | undefined;
  if (!name || !SERVICES.includes(name)) {
    console.error(`usage: service <${SERVICES.join('|')}>`);
    process.exit(2);
  }
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const service = await startService(name, config);
  console.log(`ciigraph ${name} listening on ${service.url}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping ${name}`);
    // The HTTP servers drain for at most 10 s; past that, exit rather than hang the container's stop.
    const timer = setTimeout(() => process.exit(1), 12_000);
    timer.unref();
    service.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`${name}: stop failed`, e);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  answerHelp(`usage: service <${SERVICES.join('|')}>
  The container image's entry point: one ciigraph service per process, configured by the
  environment (docs/operators/containers.md, docs/operators/kubernetes.md).`);
  main().catch((e: unknown) => {
    console.error(e instanceof StartupError ? `Cannot start: ${e.message}` : e);
    process.exit(1);
  });
}
