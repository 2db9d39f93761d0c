// CLI: tsx mocks/main.ts [--port N] [--latency MS]
// Serves the four mock registries until SIGINT/SIGTERM. Defaults: port $MOCKS_PORT or 4010,
// latency $MOCK_LATENCY_MS or 0, host $HOST or 127.0.0.1.
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, REGISTRY_PATHS, REGISTRY_SUBGRAPHS } from '../lib/config.ts';
import { startMockRegistries } from './server.ts';
import { answerHelp } from '../bin/cli.ts';

answerHelp(`usage: npm run mocks [-- --port N --latency MS]
  The mock registries alone (msw handlers over HTTP): /plasta, /ai-files, /social-assistance,
  /pc, /__calls. Defaults: --port MOCKS_PORT or 4010, --latency MOCK_LATENCY_MS or 0, HOST or
  127.0.0.1. Ctrl-C stops them.`);

function integer(name: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > max) {
    console.error(`mocks: ${name} must be an integer between 0 and ${max}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: { port: { type: 'string' }, latency: { type: 'string' } },
  strict: true,
});

const port = integer('--port', values.port ?? process.env.MOCKS_PORT ?? String(DEFAULT_PORTS.mocks), 65535);
const latencyMs = integer('--latency', values.latency ?? process.env.MOCK_LATENCY_MS ?? '0', 600_000);
const host = process.env.HOST ?? '127.0.0.1';

// A long-running server keeps only recent lookups; /__calls still counts them all.
const mocks = await startMockRegistries({ port, host, latencyMs, maxRecordedLookups: 10_000 });
const bases = REGISTRY_SUBGRAPHS.map((r) => `${r} ${mocks.url}${REGISTRY_PATHS[r]}`).join(', ');
console.log(`mock registries on ${mocks.url} (latency ${latencyMs} ms): ${bases}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  mocks.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('mocks: close failed', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
