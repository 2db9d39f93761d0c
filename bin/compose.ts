// npm run compose: writes schema/supergraph.graphql from the subgraph SDLs.
import { writeFileSync } from 'node:fs';
import { compose, SUPERGRAPH_PATH } from '../lib/schema/compose.ts';

const outcome = compose();
if (!outcome.ok) {
  console.error(`Composition failed:\n- ${outcome.errors.join('\n- ')}`);
  process.exit(1);
}
writeFileSync(SUPERGRAPH_PATH, outcome.supergraphSdl);
console.log(`wrote ${SUPERGRAPH_PATH}`);
