// A subgraph's SDL is its own schema.graphql behind the shared header (federation link and
// @category), so no subgraph repeats the boilerplate and no schema lives in a code string.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

const HEADER = fileURLToPath(new URL('../../schema/subgraph-header.graphql', import.meta.url));

export function subgraphSchemaPath(name: string, root = fileURLToPath(new URL('../../subgraphs', import.meta.url))): string {
  return `${root.replace(/\/$/, '')}/${name}/schema.graphql`;
}

export function readSubgraphSdl(schemaPath: string): string {
  return `${readFileSync(HEADER, 'utf8')}\n${readFileSync(schemaPath, 'utf8')}`;
}

export function parseSubgraphSdl(schemaPath: string): DocumentNode {
  return parse(readSubgraphSdl(schemaPath));
}
