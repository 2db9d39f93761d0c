// `npm run hive-gateway`: the same subgraphs, unchanged, behind Hive Gateway instead of
// ciigraph's own gateway (gateway/hive/), on the gateway's port. By default with the mock
// registries and the five subgraphs in this process, like `npm start`; with --gateway-only,
// Hive Gateway alone in front of the subgraphs at <SUBGRAPH>_URL (it then needs
// GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE, whose public half the subgraphs hold).
import { parseArgs } from 'node:util';
import { loadPolicy } from '../lib/access/policy.ts';
import { credentialKeysFromFiles } from '../lib/auth/subgraph-credential.ts';
import { loadConfig } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { startHiveGateway } from '../gateway/hive/server.ts';
import { answerHelp } from './cli.ts';
import { startStack } from './stack.ts';

const USAGE = `usage: npm run hive-gateway [-- --gateway-only]
  The subgraphs behind Hive Gateway (MIT) with ciigraph's credential plugin, on GATEWAY_PORT
  (default 4000): POST /graphql, /healthz, /readyz. Same tokens, headers and answers as npm start.
  --gateway-only   only Hive Gateway, in front of the subgraphs at <SUBGRAPH>_URL
                   (requires GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE)`;
answerHelp(USAGE);

async function main() {
  const { values } = parseArgs({ options: { 'gateway-only': { type: 'boolean', default: false } }, strict: true });
  const config = loadConfig();
  const closers: Array<() => Promise<void>> = [];
  let gatewayConfig = config;
  let policy;
  let credentialKeys;
  if (values['gateway-only']) {
    const keyFile = config.credential.privateKeyFile;
    if (!keyFile) throw new StartupError('environment', ['GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: required with --gateway-only (the gateway signs subgraph credentials)']);
    policy = loadPolicy(loadCatalogue(), config.policyFile);
    credentialKeys = credentialKeysFromFiles(keyFile, []);
  } else {
    const stack = await startStack({ config, gateway: false });
    closers.push(() => stack.close());
    ({ config: gatewayConfig, policy, credentialKeys } = stack);
  }
  const hive = await startHiveGateway({ config: gatewayConfig, policy, credentialKeys });
  closers.unshift(() => hive.close());
  console.log(`Hive Gateway on ${hive.url}/graphql (/healthz /readyz), in front of ${Object.values(gatewayConfig.subgraphUrls).join(' ')}\nCtrl-C to stop.`);
  const stop = async () => {
    for (const close of closers) await close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e) => {
  if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(e instanceof StartupError ? `Cannot start: ${e.message}` : e);
  process.exit(1);
});
