// A bounded request loop on loopback: `workers` concurrent clients for `durationMs`, each
// response handed to `check`. It stops by itself.
export interface LoadResult<T> {
  results: T[];
  statuses: Map<number, number>;
}

export async function runLoad<T>(
  opts: { workers: number; durationMs: number; maxRequests?: number },
  send: (i: number) => Promise<T & { status: number }>,
): Promise<LoadResult<T & { status: number }>> {
  const results: (T & { status: number })[] = [];
  const statuses = new Map<number, number>();
  const end = Date.now() + opts.durationMs;
  const max = opts.maxRequests ?? 100_000;
  let n = 0;
  await Promise.all(
    Array.from({ length: opts.workers }, async () => {
      while (Date.now() < end && n < max) {
        const r = await send(n++);
        results.push(r);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }),
  );
  return { results, statuses };
}
