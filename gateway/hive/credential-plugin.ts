// The one piece ciigraph adds to Hive Gateway (MIT, @graphql-hive/gateway-runtime): it
// authenticates the requester exactly as ciigraph's own gateway does (gateway/authenticate.ts)
// and, at the transport boundary, mints for each subgraph call the credential that subgraph
// verifies (lib/auth/subgraph-credential.ts). No access decision is made here: enforcement and
// journaling stay in the subgraphs, which is what lets them sit behind any federation router.
import type { IncomingMessage } from 'node:http';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { Policy } from '../../lib/access/policy.ts';
import { CREDENTIAL_HEADER, signCredential, type CredentialKeys } from '../../lib/auth/subgraph-credential.ts';
import type { UserTokenVerifier } from '../../lib/auth/user-token.ts';
import { errors, withHttpStatus } from '../../lib/errors.ts';
import { authenticate } from '../authenticate.ts';
import type { GatewayContext } from '../context.ts';

export interface CredentialPluginOptions {
  verifier: UserTokenVerifier;
  policy: Policy;
  /** The gateway's credential keys; only the private half signs. */
  credentialKeys: CredentialKeys;
  /** Where each subgraph is: a call's URL names the subgraph its credential is for. */
  subgraphUrls: Record<string, string>;
}

interface CiigraphHiveContext {
  /** Node's request, which Hive Gateway puts in the context when served by node:http. */
  req?: IncomingMessage;
  ciigraph?: GatewayContext;
}

/** Two Hive plugins: authentication into the context, then the credential on each subgraph call, bound to its body. */
export function useCiigraphCredential({ verifier, policy, credentialKeys, subgraphUrls }: CredentialPluginOptions): GatewayPlugin<CiigraphHiveContext>[] {
  const subgraphAt = new Map(Object.entries(subgraphUrls).map(([name, url]) => [url, name]));
  const authenticateRequester: GatewayPlugin<CiigraphHiveContext> = {
    // Before anything is parsed or planned: no or bad token is 401, a bad purpose 400.
    async onContextBuilding({ context, extendContext }) {
      if (!context.req) throw withHttpStatus(errors.unauthenticated('This gateway is served over node:http only.'), 401);
      extendContext({ ciigraph: await authenticate(context.req, verifier, policy) });
    },
  };
  const mintCredential: GatewayPlugin<CiigraphHiveContext> = {
    // At the transport boundary, where the exact body is known: only these headers of ours
    // reach a subgraph, nothing the client sent is forwarded as is.
    onFetch({ url, options, setOptions, context }) {
      const request = (context as Partial<CiigraphHiveContext>).ciigraph;
      const subgraph = subgraphAt.get(url);
      if (!request || !subgraph) return;
      const body = typeof options.body === 'string' ? options.body : '';
      const claims = {
        requester: request.requester,
        requestId: request.requestId,
        ...(request.purpose !== undefined ? { purpose: request.purpose } : {}),
        ...(request.caseReference !== undefined ? { caseReference: request.caseReference } : {}),
      };
      const headers = new Headers(options.headers as HeadersInit | undefined);
      headers.set('x-request-id', request.requestId);
      headers.set(CREDENTIAL_HEADER, signCredential(credentialKeys, claims, subgraph, body));
      setOptions({ ...options, headers: Object.fromEntries(headers) });
    },
  };
  return [authenticateRequester, mintCredential];
}
