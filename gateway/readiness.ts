// /readyz: the gateway is ready only when every subgraph answers its /healthz.
import type { SubgraphName } from '../lib/config.ts';

export type SubgraphStatus = 'up' | 'down';

export async function checkSubgraphs(
  urls: Record<SubgraphName, string>,
  timeoutMs = 1000,
): Promise<{ ready: boolean; subgraphs: Record<string, SubgraphStatus> }> {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      try {
        const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        return [name, res.ok ? 'up' : 'down'] as const;
      } catch {
        return [name, 'down'] as const;
      }
    }),
  );
  const subgraphs = Object.fromEntries(entries);
  return { ready: entries.every(([, s]) => s === 'up'), subgraphs };
}
