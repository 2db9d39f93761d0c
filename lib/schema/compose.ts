// Composes the five subgraph SDLs into schema/supergraph.graphql with @apollo/composition.
// `npm run compose` (bin/compose.ts) writes it; a test fails when the committed file differs from a fresh run.
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { SUBGRAPHS, DEFAULT_PORTS } from '../config.ts';
import { parseSubgraphSdl, subgraphSchemaPath } from './subgraph-sdl.ts';

export const SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

export interface SubgraphSource {
  name: string;
  url: string;
  schemaPath: string;
}

export function defaultSubgraphSources(): SubgraphSource[] {
  return SUBGRAPHS.map((name) => ({
    name,
    url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`,
    schemaPath: subgraphSchemaPath(name),
  }));
}

export type CompositionOutcome = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

export function compose(sources: SubgraphSource[] = defaultSubgraphSources()): CompositionOutcome {
  const result = composeServices(
    sources.map((s) => ({ name: s.name, url: s.url, typeDefs: parseSubgraphSdl(s.schemaPath) })),
  );
  if (result.errors) return { ok: false, errors: result.errors.map((e) => e.message) };
  return { ok: true, supergraphSdl: `${result.supergraphSdl.trimEnd()}\n` };
}
