// `npm run dev -- --subgraph <name>`: one subgraph against its mock registries, restarted on
// every change of its code, its SDL, the shared subgraph code or the mocks; each change of
// its SDL is checked against the others and the committed supergraph first (composition,
// breaking changes, category changes for DPO review).
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { checkSubgraphSdl, formatReport } from '../lib/schema/sdl-check.ts';
import { subgraphSchemaPath } from '../lib/schema/subgraph-sdl.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let name: SubgraphName;
try {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } }, strict: true });
  if (!values.subgraph || !SUBGRAPHS.includes(values.subgraph as SubgraphName)) throw new Error('which subgraph?');
  name = values.subgraph as SubgraphName;
} catch (e) {
  console.error(`dev: ${(e as Error).message}\nusage: npm run dev -- --subgraph <${SUBGRAPHS.join('|')}>`);
  process.exit(2);
}

const check = () => {
  try {
    console.log(formatReport(checkSubgraphSdl(name, subgraphSchemaPath(name))));
  } catch (e) {
    console.log(`SDL check of ${name} failed: ${(e as Error).message}`);
  }
};

let child: ChildProcess | undefined;
const start = () => {
  child = spawn(process.execPath, ['--import', 'tsx', `${root}bin/subgraph.ts`, name], { stdio: 'inherit', env: process.env });
};
const stopChild = () =>
  new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

let timer: NodeJS.Timeout | undefined;
const changed = (file: string) => {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    console.log(`\nchange: ${file}; checking and restarting ${name}`);
    check();
    await stopChild();
    start();
  }, 250);
};

for (const dir of [`subgraphs/${name}`, 'subgraphs/shared', 'mocks', 'lib', 'schema/policy']) {
  watch(`${root}${dir}`, { recursive: true }, (_event, file) => changed(`${dir}/${file ?? ''}`));
}

check();
start();
const shutdown = async () => {
  await stopChild();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
