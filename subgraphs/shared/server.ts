// The one bootstrap of every subgraph: schema from SDL, Apollo Server with only what the
// product uses (no inline tracing, no landing page), served over node:http with /healthz.
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { sendJson, startHttpService, type HttpService } from '../../lib/http-server.ts';
import { parseSubgraphSdl } from './sdl.ts';
import type { SubgraphContext, SubgraphDefinition, SubgraphDeps } from './definition.ts';

export function buildSchema(def: SubgraphDefinition): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parseSubgraphSdl(def.schemaPath), resolvers: def.resolvers as never });
}

export async function startSubgraph(
  def: SubgraphDefinition,
  deps: SubgraphDeps,
  port = deps.config.ports[def.name],
): Promise<HttpService> {
  const schema = buildSchema(def);
  const server = new ApolloServer<SubgraphContext>({
    schema,
    introspection: deps.config.env !== 'production',
    includeStacktraceInErrorResponses: false,
    // Shutdown is the stack's: it drains the HTTP servers first, then stops Apollo.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginLandingPageDisabled()],
  });
  await server.start();
  const service = await startHttpService({
    name: def.name,
    host: deps.config.host,
    port,
    apollo: {
      server,
      context: async (req) => ({
        requestId: (req.headers['x-request-id'] as string | undefined) ?? randomUUID(),
        ...def.context(),
      }),
    },
    routes: { '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok', subgraph: def.name }) },
  });
  return {
    ...service,
    close: async () => {
      await service.close();
      await server.stop();
    },
  };
}
