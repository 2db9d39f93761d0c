// npm run compose: writes schema/supergraph.graphql from the subgraph SDLs.
import { writeFileSync } from 'node:fs';
import { compose, SUPERGRAPH_PATH } from '../lib/schema/compose.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run compose
  Composes the subgraph SDLs (subgraphs/*/schema.graphql) and writes schema/supergraph.graphql;
  exits 1 naming the composition errors. A test fails while the committed file is stale.`);

const outcome = compose();
if (!outcome.ok) {
  console.error(`Composition failed:\n- ${outcome.errors.join('\n- ')}`);
  process.exit(1);
}
writeFileSync(SUPERGRAPH_PATH, outcome.supergraphSdl);
console.log(`wrote ${SUPERGRAPH_PATH}`);
