// The transport boundary between the gateway and its subgraphs: the one place where the
// gateway adds what subgraphs must verify (a credential signed for that subgraph alone and
// for the exact body of that one call, carrying the verified requester, purpose and case
// reference), and where it protects
// itself from a failing subgraph: keep-alive HTTP with a deadline, one quick retry for
// queries (never for mutations) within that deadline, and a circuit breaker so that a dead
// subgraph fails fast and costs only its own part of the answer.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { CREDENTIAL_HEADER, signCredential, type CredentialClaims, type CredentialKeys } from '../lib/auth/subgraph-credential.ts';
import type { HttpCaller } from '../lib/http-client.ts';
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

/**
 * What willSendRequest decided the credential says, handed to the fetcher, which alone sees
 * the exact bytes sent: it signs the credential over them and removes this header.
 */
const CLAIMS_HANDOFF = 'x-ciigraph-credential-claims';

function resilientFetch(subgraph: string, timeoutMs: number, breaker: CircuitBreaker, keys: CredentialKeys, call: HttpCaller | undefined): Fetcher {
  return ((url: string, init?: FetcherRequestInit) => {
    const { [CLAIMS_HANDOFF]: claims, ...headers } = (init?.headers ?? {}) as Record<string, string>;
    if (claims !== undefined) {
      const decided = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as CredentialClaims;
      headers[CREDENTIAL_HEADER] = signCredential(keys, decided, subgraph, typeof init?.body === 'string' ? init.body : '');
    }
    const request = { ...init, headers };
    return timed(subgraphDuration, { subgraph }, () =>
      guardedFetch(url, request, { breaker, timeoutMs, retry: !isMutation(init?.body), failsOn: proxyFailure, ...(call ? { call } : {}) }),
    );
  }) as unknown as Fetcher;
}

export class SubgraphTransport extends RemoteGraphQLDataSource<GatewayContext> {
  readonly breaker: CircuitBreaker;

  constructor(
    private readonly subgraph: string,
    url: string,
    timeoutMs: number,
    keys: CredentialKeys,
    /** The subgraphs' client (CA bundle, client certificate, answer-size cap). */
    call?: HttpCaller,
  ) {
    const breaker = new CircuitBreaker(`subgraph ${subgraph}`);
    // Cache-control is off product-wide: no subgraph answer's Cache-Control header to read.
    super({ url, fetcher: resilientFetch(subgraph, timeoutMs, breaker, keys, call), honorSubgraphCacheControlHeader: false });
    this.breaker = breaker;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set('x-request-id', context.requestId);
    injectContext(context.span, (k, v) => headers.set(k, v));
    // Without a verified requester there is no credential, and the subgraph releases nothing.
    if (!context.requester) return;
    const claims: CredentialClaims = {
      requester: context.requester,
      requestId: context.requestId,
      ...(context.purpose !== undefined ? { purpose: context.purpose } : {}),
      ...(context.caseReference !== undefined ? { caseReference: context.caseReference } : {}),
      ...(context.fetches?.has(this.subgraph) ? { fetches: context.fetches.get(this.subgraph)! } : {}),
    };
    // base64url: a header value must be plain ASCII, a subject or a case reference may not be.
    headers.set(CLAIMS_HANDOFF, Buffer.from(JSON.stringify(claims)).toString('base64url'));
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
