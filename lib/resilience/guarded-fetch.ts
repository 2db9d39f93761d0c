// One HTTP call to a dependency (a registry, a subgraph), guarded the same way everywhere:
// a deadline on the whole call (the answer's body included), one quick retry within it for
// a read that failed fast (lib/resilience/retry.ts), and the dependency's circuit breaker
// around it all. The call itself: keep-alive node:http (lib/http-client.ts).
import { httpCall, type HttpCallInit, type HttpCaller, type HttpResponse } from '../http-client.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { isTransientFailure, withRetry } from './retry.ts';

/** An answer whose status counts as the dependency failing. The body is not kept: it may quote the request. */
export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

export interface GuardedFetchOptions {
  breaker: CircuitBreaker;
  timeoutMs: number;
  /** True for reads only: a mutation is never sent twice. */
  retry: boolean;
  /** Which statuses count as the dependency failing (thrown as HttpStatusError; 502/503 are retried). */
  failsOn(status: number): boolean;
  /** The client (TLS, answer-size cap) of this kind of dependency; default: httpCall. */
  call?: HttpCaller;
}

export function guardedFetch(url: string, init: HttpCallInit | undefined, opts: GuardedFetchOptions): Promise<HttpResponse> {
  const once = async (ms: number) => {
    const res = await (opts.call ?? httpCall)(url, init ?? {}, ms);
    if (opts.failsOn(res.status)) throw new HttpStatusError(res.status);
    return res;
  };
  return opts.breaker.run(() =>
    opts.retry ? withRetry(once, { budgetMs: opts.timeoutMs, retryable: isTransientFailure }) : once(opts.timeoutMs),
  );
}
