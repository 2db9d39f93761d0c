// The transport boundary between the gateway and its subgraphs: the one place where the
// gateway adds what subgraphs must verify (a credential signed for that subgraph alone,
// carrying the verified requester, purpose and case reference), plus keep-alive fetch with
// a deadline and the request id.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { CREDENTIAL_HEADER, signCredential, type CredentialKeys } from '../lib/auth/subgraph-credential.ts';
import type { GatewayContext } from './context.ts';

/** Node's fetch (undici) keeps connections alive by default; each call gets a deadline. */
const fetchWithTimeout = (timeoutMs: number): Fetcher =>
  ((url: string, init?: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher;

export class SubgraphTransport extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    timeoutMs: number,
    private readonly keys: CredentialKeys,
  ) {
    super({ url, fetcher: fetchWithTimeout(timeoutMs) });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set('x-request-id', context.requestId);
    // Without a verified requester there is no credential, and the subgraph releases nothing.
    if (!context.requester) return;
    headers.set(
      CREDENTIAL_HEADER,
      signCredential(
        this.keys,
        {
          requester: context.requester,
          requestId: context.requestId,
          ...(context.purpose !== undefined ? { purpose: context.purpose } : {}),
          ...(context.caseReference !== undefined ? { caseReference: context.caseReference } : {}),
        },
        this.subgraph,
      ),
    );
  }
}
