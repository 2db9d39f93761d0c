// One HTTP call to a dependency (a registry, a subgraph), guarded the same way everywhere:
// a deadline on the whole call, one quick retry within it for a read that failed fast
// (lib/resilience/retry.ts), and the dependency's circuit breaker around it all.
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
}

export function guardedFetch(url: string, init: RequestInit | undefined, opts: GuardedFetchOptions): Promise<Response> {
  const once = async (ms: number) => {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
    if (opts.failsOn(res.status)) {
      await res.arrayBuffer();
      throw new HttpStatusError(res.status);
    }
    return res;
  };
  return opts.breaker.run(() =>
    opts.retry ? withRetry(once, { budgetMs: opts.timeoutMs, retryable: isTransientFailure }) : once(opts.timeoutMs),
  );
}
