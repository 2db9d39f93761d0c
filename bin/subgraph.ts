// `npm run subgraph -- <name>`: one institution's subgraph alone, against the mock
// registries (or its real registry when <NAME>_REGISTRY_URL is set), for its developers.
import { loadConfig, SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { startStack } from './stack.ts';
import { startTracing } from '../lib/observability/tracing.ts';
import { setLogLevel } from '../lib/log.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run subgraph -- <${SUBGRAPHS.join('|')}>
  One subgraph alone on its port, against the mock registries (or its real registry when
  <SUBGRAPH>_REGISTRY_URL is set). It answers the gateway's signed calls only; for a local
  loop with a gateway and GraphiQL use npm run dev -- --subgraph <name>.`);

const name = process.argv[2] as SubgraphName | undefined;
if (!name || !SUBGRAPHS.includes(name)) {
  console.error(`usage: npm run subgraph -- <${SUBGRAPHS.join('|')}>`);
  process.exit(2);
}

try {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  await startTracing(`ciigraph-${name}`, config.otlpEndpoint);
  const stack = await startStack({ config, only: [name], gateway: false });
  const [service] = stack.services;
  console.log(`subgraph ${name} on ${service!.url}/graphql${stack.mocks ? `, registries mocked at ${stack.mocks.url}` : ''}`);
  const stop = () => void stack.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  console.error(e instanceof StartupError ? `Cannot start: ${e.message}` : e);
  process.exit(1);
}
