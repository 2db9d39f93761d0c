// The gateway: Apollo Gateway on the committed supergraph, served with /graphql and /healthz;
// /readyz, /metrics and /credential-keys (the public keys of its subgraph credentials) on the
// admin port when one is configured, else on the same port. The front door (gateway/front-door/)
// comes first: CORS, deadlines against slow clients, then every GraphQL request is
// authenticated (gateway/authenticate.ts) and counted against its client's rate limit before planning.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { createAccessLogRoute, createPolicyPageRoute, createSignalsRoute, dpoOnly } from '../lib/policy-review/routes.ts';
import { refreshFishingSignals } from '../lib/supervision/refresh.ts';
import { systemClock } from '../lib/clock.ts';
import type { ConsentStore } from '../lib/consents/store.ts';
import { loadCatalogue, type CategoryCatalogue } from '../lib/schema/catalogue.ts';
import { maskUnexpectedErrors } from '../lib/errors.ts';
import type { CredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { UserTokenVerifier } from '../lib/auth/user-token.ts';
import { authenticate } from './authenticate.ts';
import type { GatewayContext } from './context.ts';
import { operationLimits } from './limits/index.ts';
import { dropErrorsOfUnselectedFields } from './unselected-field-errors.ts';
import { checkReadiness } from './readiness.ts';
import { corsFrontDoor } from './front-door/cors.ts';
import { createRateLimiter } from './front-door/rate-limit.ts';
import { httpClientFromFiles } from '../lib/http-client.ts';
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
  /** Who recorded the consents that released reads (the DPO's fishing signals). */
  consents?: ConsentStore;
  /** `npm run dev`: the state of the developer's last change, shown on the GraphiQL page. */
  devStatus?: () => DevStatus;
  /** The admin port (/readyz, /metrics, /credential-keys); default: config.ports.admin, unset: the gateway's port. */
  adminPort?: number | undefined;
}

export interface GatewayService extends HttpService {
  /** Where /readyz, /metrics and /credential-keys are served (the gateway's own URL without an admin port). */
  adminUrl: string;
}

export async function startGateway({
  config,
  policy,
  credentialKeys,
  port = config.ports.gateway,
  supergraphSdl,
  catalogue,
  journal,
  consents,
  devStatus,
  adminPort = config.ports.admin,
}: GatewayOptions): Promise<GatewayService> {
  const verifier = UserTokenVerifier.fromConfig(config, policy);
  // Keys loaded before the first request; a provider that does not answer is named by /readyz.
  await verifier.warm();
  const subgraphCall = httpClientFromFiles(config.outgoing.subgraphs);
  const limiter = createRateLimiter(config.frontDoor.rateLimit, { url: config.redisUrl, prefix: config.redisPrefix });
  const sdl = supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  // Who asks, counted against its client's budget: /graphql and the DPO's pages alike.
  const admit = async (req: IncomingMessage) => {
    const ctx = await authenticate(req, verifier, policy);
    await limiter?.admit(ctx);
    return ctx;
  };
  // The DPO's read-only pages: same authentication as /graphql, then the dpo role only.
  const authenticated = admit;
  const dpoRoutes = {
    '/policy': dpoOnly(authenticated, createPolicyPageRoute(policy, catalogue ?? loadCatalogue(), sdl)),
    ...(journal ? { '/policy/access-log': dpoOnly(authenticated, createAccessLogRoute({ policy, journal })) } : {}),
    ...(journal && consents ? { '/policy/signals': dpoOnly(authenticated, createSignalsRoute({ policy, journal, consents })) } : {}),
  };
  const gateway = new ApolloGateway({
    supergraphSdl: sdl,
    buildService: ({ name }) =>
      new SubgraphTransport(name, config.subgraphUrls[name as SubgraphName], config.subgraphTimeoutMs, credentialKeys, subgraphCall),
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
  const ide = production ? undefined : createGraphiqlRoute({ policy, tokenIssuer: devTokenIssuer(config), loopbackNames: config.graphiql.loopbackNames, ...(devStatus ? { devStatus } : {}) });
  const timeouts = { headersMs: config.frontDoor.headersTimeoutMs, requestMs: config.frontDoor.requestTimeoutMs };
  const adminRoutes = {
    '/metrics': metricsRoute,
    '/readyz': async (_req: IncomingMessage, res: ServerResponse) => {
      const readiness = await checkReadiness({ subgraphUrls: config.subgraphUrls, call: subgraphCall, identity: () => verifier.status() });
      sendJson(res, readiness.status === 'not ready' ? 503 : 200, readiness);
    },
    // Public keys only: subgraphs configured with this URL verify credentials with them.
    '/credential-keys': (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 200, { keys: credentialKeys.published }),
  };
  const healthz = { '/healthz': (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 200, { status: 'ok' }) };
  const admin =
    adminPort === undefined ? undefined : await startHttpService({ name: 'gateway-admin', host: config.host, port: adminPort, timeouts, routes: { ...healthz, ...adminRoutes } });
  let service: HttpService;
  try {
    service = await startHttpService({
      name: 'gateway',
      host: config.host,
      port,
      maxBodyBytes: config.limits.maxBodyBytes,
      timeouts,
      frontDoor: corsFrontDoor({ allowedOrigins: config.frontDoor.corsOrigins, maxAgeS: config.frontDoor.corsMaxAgeS }),
      apollo: {
        server,
        context: async (req) => ({ ...(await admit(req)), traceParent: extractContext(req.headers) }),
      },
      routes: {
        ...healthz,
        ...(admin ? {} : adminRoutes),
        ...dpoRoutes,
        ...(ide ? { '/': ide } : {}),
      },
      ...(ide ? { prefixRoutes: { [ide.basePath]: ide } } : {}),
    });
  } catch (e) {
    await admin?.close();
    throw e;
  }
  const stopSignals = journal && consents ? refreshFishingSignals({ log: journal.log, consents, thresholds: policy.fishingSignals, clock: systemClock }) : () => {};
  return {
    ...service,
    adminUrl: admin?.url ?? service.url,
    close: async () => {
      stopSignals();
      await service.close();
      await admin?.close();
      await server.stop();
      await limiter?.close();
      verifier.close();
    },
  };
}
