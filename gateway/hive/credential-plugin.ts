// The one piece ciigraph adds to Hive Gateway (MIT, @graphql-hive/gateway-runtime): it
// authenticates the requester exactly as ciigraph's own gateway does (gateway/authenticate.ts)
// and, at the transport boundary, mints for each subgraph call the credential that subgraph
// verifies (lib/auth/subgraph-credential.ts). No access decision is made here: enforcement and
// journaling stay in the subgraphs, which is what lets them sit behind any federation router.
import type { IncomingMessage } from 'node:http';
import { usePropagateHeaders, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
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
}

interface CiigraphHiveContext {
  /** Node's request, which Hive Gateway puts in the context when served by node:http. */
  req?: IncomingMessage;
  ciigraph?: GatewayContext;
}

/** Two Hive plugins: authentication into the context, then the credential on each subgraph call. */
export function useCiigraphCredential({ verifier, policy, credentialKeys }: CredentialPluginOptions): GatewayPlugin<CiigraphHiveContext>[] {
  const authenticateRequester: GatewayPlugin<CiigraphHiveContext> = {
    // Before anything is parsed or planned: no or bad token is 401, a bad purpose 400.
    onContextBuilding({ context, extendContext }) {
      if (!context.req) throw withHttpStatus(errors.unauthenticated('This gateway is served over node:http only.'), 401);
      extendContext({ ciigraph: authenticate(context.req, verifier, policy) });
    },
  };
  const mintCredential = usePropagateHeaders<CiigraphHiveContext>({
    // Only these headers reach a subgraph: nothing the client sent is forwarded as is.
    fromClientToSubgraphs: ({ context, subgraphName }) => {
      const request = context.ciigraph;
      if (!request) return {};
      return {
        'x-request-id': request.requestId,
        [CREDENTIAL_HEADER]: signCredential(
          credentialKeys,
          {
            requester: request.requester,
            requestId: request.requestId,
            ...(request.purpose !== undefined ? { purpose: request.purpose } : {}),
            ...(request.caseReference !== undefined ? { caseReference: request.caseReference } : {}),
          },
          subgraphName,
        ),
      };
    },
  });
  return [authenticateRequester, mintCredential];
}
