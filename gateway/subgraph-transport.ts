// The transport boundary between the gateway and its subgraphs: one place where the
// gateway shapes every subgraph request (keep-alive fetch, timeout, request id).
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { GatewayContext } from './context.ts';

/** Node's fetch (undici) keeps connections alive by default; each call gets a deadline. */
const fetchWithTimeout = (timeoutMs: number): Fetcher =>
  ((url: string, init?: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher;

export class SubgraphTransport extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, timeoutMs: number) {
    super({ url, fetcher: fetchWithTimeout(timeoutMs) });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context.requestId) request.http?.headers.set('x-request-id', context.requestId);
  }
}
