// The gateway: Apollo Gateway on the committed supergraph, served with /graphql, /healthz
// and /readyz. Every GraphQL request is authenticated before planning (gateway/authenticate.ts).
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { Config, SubgraphName } from '../lib/config.ts';
import { sendJson, startHttpService, type HttpService } from '../lib/http-server.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';
import type { Policy } from '../lib/access/policy.ts';
import type { Journal } from '../lib/audit/journal.ts';
import { createAccessLogRoute, createPolicyPageRoute, dpoOnly } from '../lib/policy-review/routes.ts';
import { loadCatalogue, type CategoryCatalogue } from '../lib/schema/catalogue.ts';
import { maskUnexpectedErrors } from '../lib/errors.ts';
import type { CredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { UserTokenVerifier } from '../lib/auth/user-token.ts';
import { authenticate } from './authenticate.ts';
import type { GatewayContext } from './context.ts';
import { operationLimits } from './limits/index.ts';
import { dropErrorsOfUnselectedFields } from './unselected-field-errors.ts';
import { checkSubgraphs } from './readiness.ts';
import { fetchesPerSubgraph } from './plan-fetches.ts';
import { SubgraphTransport } from './subgraph-transport.ts';
import { metricsRoute } from '../lib/observability/metrics.ts';
import { observeRequests } from '../lib/observability/request-plugin.ts';
import { extractContext } from '../lib/observability/tracing.ts';
import { createGraphiqlRoute, devTokenIssuer, type DevStatus } from './graphiql/index.ts';

export interface GatewayOptions {
  config: Config;
  policy: Policy;
  credentialKeys: CredentialKeys;
  port?: number;
  supergraphSdl?: string;
  /** The category catalogue, for the DPO's /policy page (default: schema/categories.json). */
  catalogue?: CategoryCatalogue;
  /** Where the DPO's readings of the access log are journaled, and the log they read. */
  journal?: Journal;
  /** `npm run dev`: the state of the developer's last change, shown on the GraphiQL page. */
  devStatus?: () => DevStatus;
}

export async function startGateway({
  config,
  policy,
  credentialKeys,
  port = config.ports.gateway,
  supergraphSdl,
  catalogue,
  journal,
  devStatus,
}: GatewayOptions): Promise<HttpService> {
  const verifier = UserTokenVerifier.fromConfig(config, policy);
  const sdl = supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  // The DPO's read-only pages: same authentication as /graphql, then the dpo role only.
  const authenticated = (req: IncomingMessage) => authenticate(req, verifier, policy);
  const dpoRoutes = {
    '/policy': dpoOnly(authenticated, createPolicyPageRoute(policy, catalogue ?? loadCatalogue(), sdl)),
    ...(journal ? { '/policy/access-log': dpoOnly(authenticated, createAccessLogRoute({ policy, journal })) } : {}),
  };
  const gateway = new ApolloGateway({
    supergraphSdl: sdl,
    buildService: ({ name }) =>
      new SubgraphTransport(name, config.subgraphUrls[name as SubgraphName], config.subgraphTimeoutMs, credentialKeys),
    // Each call's credential says how many calls the plan makes to that subgraph (plan-fetches.ts).
    experimental_didResolveQueryPlan: ({ queryPlan, requestContext }) => {
      (requestContext.context as GatewayContext).fetches = fetchesPerSubgraph(queryPlan);
    },
  });
  const limits = operationLimits(config.limits);
  const production = config.env === 'production';
  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !production,
    // No "did you mean" field suggestions in production: they map the schema for a prober.
    hideSchemaDetailsFromClientErrors: production,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors('gateway'),
    // Shutdown is the stack's: it drains the HTTP servers first, then stops Apollo.
    stopOnTerminationSignals: false,
    // Nothing of Apollo's that the product does not use: no cache-control hints, and none of
    // the reporting to Apollo's cloud that an APOLLO_KEY in the environment would otherwise
    // switch on (operation traces of requests about persons; fail closed). The query plan
    // cache and the parsed-document cache stay at Apollo's defaults (30 MiB LRU each): a case
    // platform sends a handful of distinct operations, each planned and parsed once.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      observeRequests('gateway'),
      ...limits.plugins,
      dropErrorsOfUnselectedFields(),
      // The gateway's request id on every answer: a case platform can quote it, and a DPO
      // finds that request's decisions in the access log by it.
      {
        async requestDidStart({ contextValue }) {
          return {
            async willSendResponse({ response }) {
              if (contextValue.requestId) response.http.headers.set('x-request-id', contextValue.requestId);
            },
          };
        },
      },
    ],
  });
  await server.start();
  // The offline IDE, development only (its token endpoint only where devTokenIssuer offers one).
  const ide = production ? undefined : createGraphiqlRoute({ policy, tokenIssuer: devTokenIssuer(config), ...(devStatus ? { devStatus } : {}) });
  const service = await startHttpService({
    name: 'gateway',
    host: config.host,
    port,
    maxBodyBytes: config.limits.maxBodyBytes,
    apollo: {
      server,
      context: async (req) => ({ ...authenticate(req, verifier, policy), traceParent: extractContext(req.headers) }),
    },
    routes: {
      '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/metrics': metricsRoute,
      '/readyz': async (_req, res) => {
        const readiness = await checkSubgraphs(config.subgraphUrls);
        sendJson(res, readiness.status === 'not ready' ? 503 : 200, readiness);
      },
      ...dpoRoutes,
      ...(ide ? { '/': ide } : {}),
    },
    ...(ide ? { prefixRoutes: { [ide.basePath]: ide } } : {}),
  });
  return {
    ...service,
    close: async () => {
      await service.close();
      await server.stop();
    },
  };
}
