// The one bootstrap of every subgraph: schema from SDL with the access policy enforced on
// every @category field, Apollo Server with only what the product uses (no inline tracing,
// no landing page), served over node:http with /healthz. A request without a valid gateway
// credential for this subgraph is refused before anything runs.
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import type { IncomingMessage } from 'node:http';
import { CREDENTIAL_HEADER } from '../../lib/auth/subgraph-credential.ts';
import { errors, maskUnexpectedErrors, withHttpStatus } from '../../lib/errors.ts';
import { sendJson, startHttpService, type HttpService, type RouteHandler } from '../../lib/http-server.ts';
import type { SubgraphContext, SubgraphDefinition, SubgraphDeps } from './definition.ts';
import { enforceCategories } from './enforce-categories.ts';
import { RequestDecisions } from './request-decisions.ts';
import { RequestAccessCache, requestFingerprint } from './request-access-cache.ts';
import { parseSubgraphSdl } from '../../lib/schema/subgraph-sdl.ts';
import { metricsRoute, reportKeptRequests } from '../../lib/observability/metrics.ts';
import { observeRequests } from '../../lib/observability/request-plugin.ts';
import { extractContext } from '../../lib/observability/tracing.ts';

export function buildSchema(def: SubgraphDefinition, deps: Pick<SubgraphDeps, 'policy'>): GraphQLSchema {
  const schema = buildSubgraphSchema({ typeDefs: parseSubgraphSdl(def.schemaPath), resolvers: def.resolvers as never });
  return enforceCategories(schema, deps.policy);
}

const unauthenticated = (message: string) => withHttpStatus(errors.unauthenticated(message), 401);

/** The verified requester of a subgraph request, from the gateway's credential only, made for this very body. */
async function requestContext(def: SubgraphDefinition, deps: SubgraphDeps, cache: RequestAccessCache, req: IncomingMessage, body: Buffer | undefined): Promise<SubgraphContext> {
  const token = req.headers[CREDENTIAL_HEADER];
  if (typeof token !== 'string') throw unauthenticated('This subgraph answers the ciigraph gateway only.');
  let claims;
  try {
    claims = await deps.credentials.verify(token, def.name, body ?? Buffer.alloc(0));
  } catch {
    throw unauthenticated('The gateway credential does not verify.');
  }
  if (claims.purpose !== undefined && !deps.policy.purposes.has(claims.purpose)) {
    throw withHttpStatus(errors.badUserInput(`Unknown purpose "${claims.purpose}".`, { field: 'purpose' }), 400);
  }
  const facts = { purpose: claims.purpose, caseReference: claims.caseReference };
  const create = () =>
    new RequestDecisions(
      { policy: deps.policy, readFacts: deps.readFacts, journal: deps.journal, clock: deps.clock },
      claims.requester,
      facts,
      def.name,
      claims.requestId,
    );
  // Called once for this request (the gateway's plan says so): nothing to keep for a next call.
  const access = claims.fetches === 1 ? create() : cache.get(claims.requestId, requestFingerprint(claims.requester, facts), create);
  return { requestId: claims.requestId, access };
}

export async function startSubgraph(
  def: SubgraphDefinition,
  deps: SubgraphDeps,
  port = deps.config.ports[def.name],
  /** Routes of any method besides GraphQL (a registry's pushes to its subgraph). */
  extraRoutes: Record<string, RouteHandler> = {},
): Promise<HttpService> {
  const server = new ApolloServer<SubgraphContext>({
    schema: buildSchema(def, deps),
    introspection: deps.config.env !== 'production',
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors(def.name),
    // Shutdown is the stack's: it drains the HTTP servers first, then stops Apollo.
    stopOnTerminationSignals: false,
    // No inline tracing (ftv1) and no cache-control hints: the product uses neither, and the
    // cache-control plugin wraps every resolver.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled(), observeRequests(def.name)],
  });
  await server.start();
  // A request's decisions live as long as the gateway may still call for it.
  const accessCache = new RequestAccessCache(2 * deps.config.subgraphTimeoutMs);
  reportKeptRequests(def.name, () => accessCache.size);
  const service = await startHttpService({
    name: def.name,
    host: deps.config.host,
    port,
    timeouts: { headersMs: deps.config.frontDoor.headersTimeoutMs, requestMs: deps.config.frontDoor.requestTimeoutMs },
    apollo: { server, context: async (req, body) => ({ ...(await requestContext(def, deps, accessCache, req, body)), traceParent: extractContext(req.headers), ...def.context() }) },
    routes: {
      '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok', subgraph: def.name, stores: deps.storesStatus(), ...def.health?.() }),
      '/metrics': metricsRoute,
    },
    prefixRoutes: extraRoutes,
  });
  return {
    ...service,
    close: async () => {
      await service.close();
      await server.stop();
    },
  };
}
