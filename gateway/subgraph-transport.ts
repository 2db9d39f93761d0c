// The transport boundary between the gateway and its subgraphs: the one place where the
// gateway adds what subgraphs must verify (a credential signed for that subgraph alone,
// carrying the verified requester, purpose and case reference), and where it protects
// itself from a failing subgraph: keep-alive HTTP with a deadline, one quick retry for
// queries (never for mutations) within that deadline, and a circuit breaker so that a dead
// subgraph fails fast and costs only its own part of the answer.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { CREDENTIAL_HEADER, signCredential, type CredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { errors } from '../lib/errors.ts';
import { CircuitBreaker, CircuitOpenError } from '../lib/resilience/circuit-breaker.ts';
import { guardedFetch } from '../lib/resilience/guarded-fetch.ts';
import type { GatewayContext } from './context.ts';
import { log } from '../lib/log.ts';
import { subgraphDuration, timed } from '../lib/observability/metrics.ts';
import { injectContext } from '../lib/observability/tracing.ts';

/** The gateway sends mutations as `{"query":"mutation ...`; anything else is a read. */
const isMutation = (body: unknown) => typeof body === 'string' && /^\{"query":"\s*mutation\b/.test(body);

/** Only a 502/503 (a proxy in front of the subgraph) is a transport failure; other answers are Apollo's to read. */
const proxyFailure = (status: number) => status === 502 || status === 503;

function resilientFetch(subgraph: string, timeoutMs: number, breaker: CircuitBreaker): Fetcher {
  return ((url: string, init?: FetcherRequestInit) =>
    timed(subgraphDuration, { subgraph }, () =>
      guardedFetch(url, init, { breaker, timeoutMs, retry: !isMutation(init?.body), failsOn: proxyFailure }),
    )) as unknown as Fetcher;
}

export class SubgraphTransport extends RemoteGraphQLDataSource<GatewayContext> {
  readonly breaker: CircuitBreaker;

  constructor(
    private readonly subgraph: string,
    url: string,
    timeoutMs: number,
    private readonly keys: CredentialKeys,
  ) {
    const breaker = new CircuitBreaker(`subgraph ${subgraph}`);
    // Cache-control is off product-wide: no subgraph answer's Cache-Control header to read.
    super({ url, fetcher: resilientFetch(subgraph, timeoutMs, breaker), honorSubgraphCacheControlHeader: false });
    this.breaker = breaker;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set('x-request-id', context.requestId);
    injectContext(context.span, (k, v) => headers.set(k, v));
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
          ...(context.fetches?.has(this.subgraph) ? { fetches: context.fetches.get(this.subgraph)! } : {}),
        },
        this.subgraph,
      ),
    );
  }

  /**
   * A transport failure (no answer, timeout, open circuit) becomes one catalogued error; the
   * detail stays in the gateway's log. An HTTP answer with GraphQL errors stays as it is.
   */
  override didEncounterError(error: Error): never {
    if (error instanceof GraphQLError) throw error;
    // An open circuit was logged when it opened; one line per refused call would be noise.
    if (!(error instanceof CircuitOpenError)) log.warn({ service: 'gateway', subgraph: this.subgraph, reason: error.message }, 'subgraph unavailable');
    throw errors.subgraphUnavailable(this.subgraph);
  }
}
