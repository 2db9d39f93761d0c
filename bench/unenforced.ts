// The benchmark's baseline, built here from the product's public pieces and nowhere in
// production code: the same subgraph definitions (their resolvers, their per-request
// loaders, the same registry clients) served without the enforcement transform and with an
// access object that releases everything, decides nothing and journals nothing.
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { SUBGRAPH_DEFINITIONS } from '../bin/stack.ts';
import type { ActionDecision } from '../lib/access/decide.ts';
import type { Decision, Denied } from '../lib/access/decision.ts';
import type { Requester } from '../lib/access/requester.ts';
import { SUBGRAPHS, type SubgraphName } from '../lib/config.ts';
import { sendJson, startHttpService, type HttpService } from '../lib/http-server.ts';
import { parseSubgraphSdl } from '../lib/schema/subgraph-sdl.ts';
import type { SubgraphContext, SubgraphDeps } from '../subgraphs/shared/definition.ts';
import type { AccessDecisions } from '../subgraphs/shared/request-decisions.ts';

/** Releases every category: what the resolvers see when nothing is enforced. */
export class ReleaseEverything implements AccessDecisions {
  readonly request = {};
  constructor(readonly requester: Requester) {}
  known(avs: string, category: string): Decision {
    return { avs, category, allowed: true, rule: 0, legalBasis: 'enforcement off (benchmark baseline)' };
  }
  ask(avs: string, category: string): Promise<Decision> {
    return Promise.resolve(this.known(avs, category));
  }
  released(_avs: string, categories: readonly string[]): Promise<string[]> {
    return Promise.resolve([...categories]);
  }
  explain(d: Denied): string {
    return d.reason;
  }
  async decideAction(): Promise<ActionDecision> {
    return { allowed: true };
  }
  explainAction(action: string): string {
    return action;
  }
}

const BENCH_REQUESTER: Requester = { institution: 'AI', role: 'case-manager', subject: 'bench-unenforced' };

/** The five subgraphs, unenforced, each on a free port; the gateway's credential is not even read. */
export async function startUnenforcedSubgraphs(deps: SubgraphDeps, names: readonly SubgraphName[] = SUBGRAPHS): Promise<{ urls: Record<SubgraphName, string>; close(): Promise<void> }> {
  const services: HttpService[] = [];
  const servers: ApolloServer<SubgraphContext>[] = [];
  const urls = {} as Record<SubgraphName, string>;
  for (const name of names) {
    const def = SUBGRAPH_DEFINITIONS[name](deps) as { schemaPath: string; resolvers: unknown; context(): object };
    const server = new ApolloServer<SubgraphContext>({
      schema: buildSubgraphSchema({ typeDefs: parseSubgraphSdl(def.schemaPath), resolvers: def.resolvers as never }),
      plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled()],
    });
    await server.start();
    servers.push(server);
    const service = await startHttpService({
      name: `${name}-unenforced`,
      host: deps.config.host,
      port: 0,
      apollo: { server, context: async () => ({ requestId: 'unenforced', access: new ReleaseEverything(BENCH_REQUESTER), ...def.context() }) },
      // The gateway's readiness asks every subgraph.
      routes: { '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok', subgraph: name }) },
    });
    services.push(service);
    urls[name] = `${service.url}/graphql`;
  }
  return {
    urls,
    close: async () => {
      for (const s of services) await s.close();
      for (const s of servers) await s.stop();
    },
  };
}

