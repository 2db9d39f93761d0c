// /readyz: ready (200) only when every subgraph answers its /healthz and none has lost its
// stores (Redis); "degraded" (still 200: the others serve, partial results) when a
// registry's circuit is open; 503 otherwise. The body says what is down.
import type { SubgraphName } from '../lib/config.ts';

export interface Readiness {
  status: 'ready' | 'degraded' | 'not ready';
  subgraphs: Record<string, 'up' | 'down'>;
  registries: Record<string, string>;
  stores: Record<string, string>;
}

export async function checkSubgraphs(urls: Record<SubgraphName, string>, timeoutMs = 1000): Promise<Readiness> {
  const readiness: Readiness = { status: 'ready', subgraphs: {}, registries: {}, stores: {} };
  await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      try {
        const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(timeoutMs) });
        const health = (await res.json()) as { stores?: string; registry?: string };
        readiness.subgraphs[name] = res.ok ? 'up' : 'down';
        if (health.stores) readiness.stores[name] = health.stores;
        if (health.registry) readiness.registries[name] = health.registry;
      } catch {
        readiness.subgraphs[name] = 'down';
      }
    }),
  );
  const down = Object.values(readiness.subgraphs).includes('down') || Object.values(readiness.stores).includes('down');
  const degraded = Object.values(readiness.registries).some((c) => c !== 'closed');
  readiness.status = down ? 'not ready' : degraded ? 'degraded' : 'ready';
  return readiness;
}
