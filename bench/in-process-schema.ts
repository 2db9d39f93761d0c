// Ratio (b)'s upper bound: ONE graphql-js schema, in one process, answering the same person
// queries from the same mock registries, with no federation (no query planning, no
// gateway → subgraph hops, no entity representations, no credentials) and no enforcement.
//
// - The SDL is the five subgraph SDLs merged here (each type once, fields from the subgraph
//   that owns them, federation directives dropped), keeping the @category annotations so the
//   product's own file resolvers can read which sections a selection asks for. It is the
//   supergraph's API schema (test/bench-helpers.test.ts checks that).
// - The resolvers ARE the product's: the consent subgraph's Query.person/persons and each
//   institution's Person.<file> resolver (subgraphs/shared/institution-subgraph.ts), each
//   with its own per-request DataLoader over the same RegistryClient, so one batched lookup
//   per registry per request. Access is ReleaseEverything (bench/unenforced.ts).
// - Served by plain node:http (serveInProcess), parse + validate cached per query text, as
//   any production GraphQL server does.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildASTSchema,
  execute,
  GraphQLError,
  Kind,
  parse,
  validate,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
} from 'graphql';
import { SUBGRAPH_DEFINITIONS } from '../bin/stack.ts';
import type { Config, SubgraphName } from '../lib/config.ts';
import { SUBGRAPHS } from '../lib/config.ts';
import type { SubgraphContext, SubgraphDeps } from '../subgraphs/shared/definition.ts';
import { ReleaseEverything } from './unenforced.ts';
import { subgraphSchemaPath } from '../lib/schema/subgraph-sdl.ts';
import { readFileSync } from 'node:fs';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { httpClientFromFiles } from '../lib/http-client.ts';

/** Directives that exist only for federation: dropped from the merged SDL. */
const FEDERATION_DIRECTIVES = new Set([
  'key', 'link', 'composeDirective', 'external', 'requires', 'provides', 'shareable', 'inaccessible', 'override', 'tag', 'interfaceObject',
]);

const POLICY_DIRECTIVES = /* GraphQL */ `
  directive @category(id: String!) on FIELD_DEFINITION
  directive @permission(id: String!, person: String) on FIELD_DEFINITION
`;

type Directives = readonly ConstDirectiveNode[] | undefined;
const withoutFederation = (d: Directives) => (d ?? []).filter((x) => !FEDERATION_DIRECTIVES.has(x.name.value));
const isExternal = (d: Directives) => (d ?? []).some((x) => x.name.value === 'external');

/**
 * The merged SDL of the five subgraphs, as composition merges them: each type once, an object
 * type's fields the union of what each subgraph owns (fields marked @external belong to
 * another subgraph and are skipped), value types (enums, inputs, ...) once, federation
 * directives dropped; @category and @permission kept.
 */
export function inProcessSchemaDocument(): DocumentNode {
  const directives = parse(POLICY_DIRECTIVES).definitions;
  const types = new Map<string, DefinitionNode>();
  // consent first: it owns Query, Mutation and the Person entry points.
  const order: SubgraphName[] = ['consent', ...SUBGRAPHS.filter((s) => s !== 'consent')];
  for (const name of order) {
    const doc = parse(readFileSync(subgraphSchemaPath(name), 'utf8'));
    for (const def of doc.definitions) {
      if (!('name' in def) || !def.name || def.kind === Kind.DIRECTIVE_DEFINITION) continue;
      const typeName = def.name.value;
      if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION) {
        const own = (def.fields ?? [])
          .filter((f) => !isExternal(f.directives))
          .map((f) => ({ ...f, directives: withoutFederation(f.directives) }));
        const prev = types.get(typeName) as ObjectTypeDefinitionNode | undefined;
        const known = new Set((prev?.fields ?? []).map((f) => f.name.value));
        const merged: ObjectTypeDefinitionNode = {
          kind: Kind.OBJECT_TYPE_DEFINITION,
          name: def.name,
          description: prev?.description ?? ('description' in def ? def.description : undefined),
          interfaces: prev?.interfaces ?? def.interfaces ?? [],
          directives: withoutFederation(prev?.directives ?? def.directives),
          fields: [...(prev?.fields ?? []), ...own.filter((f) => !known.has(f.name.value))],
        };
        types.set(typeName, merged);
        continue;
      }
      if (!types.has(typeName)) types.set(typeName, def);
    }
  }
  return { kind: Kind.DOCUMENT, definitions: [...directives, ...types.values()] };
}

type AnyResolver = GraphQLFieldResolver<unknown, InProcessContext>;
type ResolverMap = Record<string, Record<string, unknown>>;

export interface InProcessContext {
  /** Each subgraph's own per-request context (its loaders), plus the unenforced access. */
  perSubgraph: Record<SubgraphName, SubgraphContext & Record<string, unknown>>;
}

const PERSON_FIELDS: Record<Exclude<SubgraphName, 'consent'>, string> = {
  unemployment: 'unemployment',
  disability: 'disability',
  'social-assistance': 'socialAssistance',
  'supplementary-benefits': 'supplementaryBenefits',
};

export interface InProcessSchema {
  schema: GraphQLSchema;
  /** A fresh context per request: new DataLoaders, so one batched lookup per registry per request. */
  context(): InProcessContext;
}

/**
 * The schema with the product's resolvers attached. `config` gives the registry URLs (the
 * mocks the stack under test uses) and timeouts; nothing else of SubgraphDeps is read by
 * the resolvers used here.
 */
export function buildInProcessSchema(config: Config): InProcessSchema {
  const schema = buildASTSchema(inProcessSchemaDocument());
  // What defining the subgraphs reads: the catalogue (registry sections are checked against it) and the registry client.
  const deps = { config, catalogue: loadCatalogue(), registryCall: httpClientFromFiles(config.outgoing.registries) } as unknown as SubgraphDeps;
  const defs = Object.fromEntries(SUBGRAPHS.map((n) => [n, SUBGRAPH_DEFINITIONS[n](deps)])) as unknown as Record<
    SubgraphName,
    { resolvers: ResolverMap; context(): Record<string, unknown> }
  >;
  const requester = { institution: 'AI' as const, role: 'case-manager', subject: 'bench-in-process' };

  const attach = (typeName: string, fieldName: string, subgraph: SubgraphName) => {
    const type = schema.getType(typeName);
    if (!type || !('getFields' in type)) throw new Error(`in-process schema: no type ${typeName}`);
    const field = (type.getFields() as Record<string, { resolve?: AnyResolver }>)[fieldName];
    const resolve = defs[subgraph].resolvers[typeName]?.[fieldName] as GraphQLFieldResolver<unknown, unknown> | undefined;
    if (!field || !resolve) throw new Error(`in-process schema: no resolver for ${typeName}.${fieldName} in ${subgraph}`);
    field.resolve = (source, args, ctx, info) => resolve(source, args, ctx.perSubgraph[subgraph], info);
  };
  attach('Query', 'person', 'consent');
  attach('Query', 'persons', 'consent');
  for (const [subgraph, field] of Object.entries(PERSON_FIELDS)) attach('Person', field, subgraph as SubgraphName);

  return {
    schema,
    context: () => {
      const access = new ReleaseEverything(requester);
      const perSubgraph = Object.fromEntries(
        SUBGRAPHS.map((n) => [n, { requestId: 'in-process', access, ...defs[n].context() }]),
      ) as unknown as InProcessContext['perSubgraph'];
      return { perSubgraph };
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface InProcessServer {
  url: string;
  close(): Promise<void>;
}

/** POST /graphql { query, variables } over plain node:http; GET /healthz. */
export async function serveInProcess(built: InProcessSchema, host = '127.0.0.1', port = 0): Promise<InProcessServer> {
  const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  const documentOf = (query: string): DocumentNode | readonly GraphQLError[] => {
    let doc = documents.get(query);
    if (!doc) {
      try {
        const parsed = parse(query);
        const errors = validate(built.schema, parsed);
        doc = errors.length ? errors : parsed;
      } catch (e) {
        doc = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
      }
      if (documents.size > 1000) documents.clear();
      documents.set(query, doc);
    }
    return doc;
  };

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return send(200, { status: 'ok' });
      if (req.method !== 'POST' || path !== '/graphql') return send(404, { error: 'not found' });
      const { query, variables } = JSON.parse(await readBody(req)) as { query: string; variables?: Record<string, unknown> };
      const doc = documentOf(query);
      if (!('kind' in doc)) return send(400, { errors: doc.map((e) => e.toJSON()) });
      const result = await execute({ schema: built.schema, document: doc, variableValues: variables ?? {}, contextValue: built.context() });
      send(200, result);
    } catch (e) {
      if (!res.headersSent) send(500, { errors: [{ message: (e as Error).message }] });
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
