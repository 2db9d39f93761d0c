// Hive Gateway (The Guild's MIT federation gateway) in front of the unchanged subgraphs, on the
// committed supergraph: the demonstration that the subgraphs' own enforcement holds behind a
// router ciigraph did not write. The only ciigraph code in it is the credential plugin; what
// ciigraph's own gateway adds beyond that is listed in docs/architecture/any-router.md.
import { readFileSync } from 'node:fs';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import type { Policy } from '../../lib/access/policy.ts';
import type { CredentialKeys } from '../../lib/auth/subgraph-credential.ts';
import { UserTokenVerifier } from '../../lib/auth/user-token.ts';
import type { Config } from '../../lib/config.ts';
import { sendJson, startHttpService, type HttpService } from '../../lib/http-server.ts';
import { SUPERGRAPH_PATH } from '../../lib/schema/compose.ts';
import { checkReadiness } from '../readiness.ts';
import { httpClientFromFiles } from '../../lib/http-client.ts';
import { useCiigraphCredential } from './credential-plugin.ts';

export interface HiveGatewayOptions {
  config: Config;
  policy: Policy;
  credentialKeys: CredentialKeys;
  port?: number;
  supergraphSdl?: string;
}

/** The supergraph with each subgraph's URL replaced by the configured one (join__graph's url). */
function withConfiguredUrls(sdl: string, config: Config): string {
  return sdl.replace(/(join__graph\(name: "([^"]+)", url: ")[^"]*(")/g, (whole, head: string, name: string, tail: string) => {
    const url = config.subgraphUrls[name as keyof Config['subgraphUrls']];
    return url ? `${head}${url}${tail}` : whole;
  });
}

export async function startHiveGateway({ config, policy, credentialKeys, port = config.ports.gateway, supergraphSdl }: HiveGatewayOptions): Promise<HttpService> {
  const verifier = UserTokenVerifier.fromConfig(config, policy);
  await verifier.warm();
  const subgraphCall = httpClientFromFiles(config.outgoing.subgraphs);
  const production = config.env === 'production';
  const hive = createGatewayRuntime({
    supergraph: withConfiguredUrls(supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8'), config),
    plugins: () => useCiigraphCredential({ verifier, policy, credentialKeys, subgraphUrls: config.subgraphUrls }),
    graphiql: false,
    landingPage: false,
    // Subgraph errors (FORBIDDEN with its category) reach the client; anything unexpected is masked.
    maskedErrors: true,
    disableIntrospection: production ? { disableIf: () => true } : undefined,
    logging: 'error',
  });
  const service = await startHttpService({
    name: 'hive-gateway',
    host: config.host,
    port,
    routes: {
      '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/readyz': async (_req, res) => {
        const readiness = await checkReadiness({ subgraphUrls: config.subgraphUrls, call: subgraphCall, identity: () => verifier.status() });
        sendJson(res, readiness.status === 'not ready' ? 503 : 200, readiness);
      },
    },
    prefixRoutes: { '/graphql': (req, res) => hive(req, res) },
  });
  return {
    ...service,
    close: async () => {
      await service.close();
      await hive.dispose();
      verifier.close();
    },
  };
}
