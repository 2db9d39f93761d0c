// `npm run dev -- --subgraph <name>`: an institution developer's local loop. The subgraph from
// the working tree, composed with the other subgraphs (on the mock registries) behind a local
// gateway with the offline GraphiQL and its requester picker, enforcement on; every saved
// change is checked (composition, breaking changes, category changes for DPO review) and, when
// it composes, served seconds later; the outcome shows here and on the GraphiQL page.
import { mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ephemeralCredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { loadConfig, SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { answerHelp } from './cli.ts';
import { DevLoop } from './dev/loop.ts';

const USAGE = `usage: npm run dev -- --subgraph <${SUBGRAPHS.join('|')}>
  Your subgraph from the working tree with the other subgraphs on the mock registries, behind
  a local gateway (GATEWAY_PORT, default 4000; GraphiQL at /graphiql), enforcement on.
  Each saved change under subgraphs/, mocks/, lib/ or schema/ is checked against the other
  subgraphs and schema/supergraph.graphql, and served when it composes. Ctrl-C stops it.`;
answerHelp(USAGE);

const root = fileURLToPath(new URL('..', import.meta.url));
let name: SubgraphName;
try {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } }, strict: true });
  if (!values.subgraph || !SUBGRAPHS.includes(values.subgraph as SubgraphName)) throw new Error(values.subgraph ? `no subgraph "${values.subgraph}"` : 'which subgraph?');
  name = values.subgraph as SubgraphName;
} catch (e) {
  console.error(`dev: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}

let config;
try {
  config = loadConfig();
  if (config.env === 'production') throw new StartupError('environment', ['NODE_ENV=production: npm run dev is for development (mocks, development tokens)']);
} catch (e) {
  console.error(e instanceof StartupError ? `Cannot start: ${e.message}` : e);
  process.exit(1);
}

// One key pair for this session: the gateway signs, the subgraphs (a child) verify.
const keys = ephemeralCredentialKeys();
const keyDir = mkdtempSync(join(tmpdir(), 'ciigraph-dev-'));
const publicKeyFile = join(keyDir, 'gateway-credential.pub.pem');
writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
const loop = new DevLoop({
  subgraph: name,
  config,
  credentialKeys: keys,
  childEnv: childEnv(),
});

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES: publicKeyFile };
  delete env.GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE;
  return env;
}

let timer: NodeJS.Timeout | undefined;
const seen = new Set<string>();
const changed = (file: string) => {
  seen.add(file);
  clearTimeout(timer);
  timer = setTimeout(() => {
    const files = [...seen].join(', ');
    seen.clear();
    void loop.changed(files);
  }, 250);
};
for (const dir of ['subgraphs', 'mocks', 'lib', 'schema']) {
  watch(`${root}${dir}`, { recursive: true }, (_event, file) => {
    // The committed supergraph is the baseline of the check, not a source of it.
    if (file && `${dir}/${file}` !== 'schema/supergraph.graphql') changed(`${dir}/${file}`);
  });
}

await loop.start();
const shutdown = async () => {
  await loop.stop();
  rmSync(keyDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
