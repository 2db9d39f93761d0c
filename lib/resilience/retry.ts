// Retries a read within a time budget: a call that failed fast (connection refused or
// reset, a 502/503) is tried again while the deadline allows; a slow failure is not, so a
// retry never doubles the latency of a request. Only reads are ever retried.
export interface RetryOptions {
  /** Total time for all attempts. */
  budgetMs: number;
  /** At most this many attempts in all. */
  attempts?: number;
  /** Whether this failure is worth another try. */
  retryable(error: unknown): boolean;
  /** Don't start an attempt with less time than this left. */
  minAttemptMs?: number;
}

export async function withRetry<T>(attempt: (remainingMs: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const deadline = Date.now() + opts.budgetMs;
  const attempts = opts.attempts ?? 2;
  const min = opts.minAttemptMs ?? Math.min(200, opts.budgetMs / 4);
  for (let i = 1; ; i++) {
    try {
      return await attempt(Math.max(1, deadline - Date.now()));
    } catch (e) {
      const remaining = deadline - Date.now();
      if (i >= attempts || remaining < min || !opts.retryable(e)) throw e;
    }
  }
}

/** Failures that happened before the other side did any work: safe and cheap to retry. */
export function isTransientFailure(error: unknown): boolean {
  const e = error as { cause?: { code?: string }; code?: string; status?: number; name?: string };
  const code = e?.cause?.code ?? e?.code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code)) return true;
  return e?.status === 502 || e?.status === 503;
}
