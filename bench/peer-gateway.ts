// The peer stack's front: a stock Apollo Gateway (RemoteGraphQLDataSource, Apollo Server's
// standalone HTTP server) over the same supergraph, pointed at the peer subgraphs. No token,
// no credential, no policy, no journal: what plain federation costs for the same queries.
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';

export async function startPeerGateway(supergraphSdl: string, subgraphUrls: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url: subgraphUrls[name] ?? url }),
  });
  const server = new ApolloServer({
    gateway,
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginUsageReportingDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url: url.replace(/\/$/, ''), close: () => server.stop() };
}
