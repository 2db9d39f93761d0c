// `npm start`: the whole stack on the embedded defaults, in one process; Ctrl-C stops it
// cleanly (every port closed, no child left behind).
import { loadConfig } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { startStack } from './stack.ts';
import { startTracing } from '../lib/observability/tracing.ts';
import { setLogLevel } from '../lib/log.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm start
  The whole stack in one process on the embedded defaults: the gateway (GATEWAY_PORT, default
  4000: /graphql /healthz /readyz /metrics, /graphiql in development), the five subgraphs
  (4001-4005), the mock registries (4010) unless <SUBGRAPH>_REGISTRY_URLs are set; consents and
  the access log in memory, or in Redis with REDIS_URL. Ready when GET /readyz answers 200.
  Settings: docs/operators/configuration.md. Ctrl-C stops it.`);

async function main() {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  await startTracing('ciigraph', config.otlpEndpoint);
  const stack = await startStack({ config });
  const lines = [
    `ciigraph is up (${config.env}${config.useMocks ? ', registries served by the mocks' : ''}, consent store and access log ${config.redisUrl ? 'in Redis' : 'in memory'}, policy "${stack.policy.name}")`,
    `  gateway    ${stack.gatewayUrl}/graphql   (/healthz; /readyz /metrics at ${stack.adminUrl})`,
    ...stack.services.filter((s) => s.name !== 'gateway').map((s) => `  ${s.name.padEnd(24)} ${s.url}/graphql`),
    ...(stack.mocks ? [`  mock registries          ${stack.mocks.url}`] : []),
    ...(config.file ? [`Configuration: ${config.file}`] : []),
    'A development token:  npm run --silent token -- --institution AC --role counsellor --purpose cii',
    'Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    const timer = setTimeout(() => {
      console.error('shutdown took more than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    await stack.close();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(e instanceof StartupError ? `Cannot start: ${e.message}` : e);
  process.exit(1);
});
