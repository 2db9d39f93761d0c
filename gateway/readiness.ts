// /readyz: whether this gateway should receive traffic. It stays ready (200) while it can
// still serve partial results, saying what is degraded: a subgraph down or without its
// stores, a registry whose circuit is open, an identity provider whose keys are not known.
// It is not ready (503) only when nothing can be served: no subgraph usable, or no identity
// provider's keys at all. Taking every gateway of a fleet out of rotation because one
// subgraph is down would turn a missing part into a missing whole.
import type { SubgraphName } from '../lib/config.ts';
import { httpCall, type HttpCaller } from '../lib/http-client.ts';

export interface Readiness {
  status: 'ready' | 'degraded' | 'not ready';
  /** What is degraded, in words; empty when ready. */
  degraded: string[];
  subgraphs: Record<string, 'up' | 'down'>;
  registries: Record<string, string>;
  stores: Record<string, string>;
  identity: Record<string, string>;
}

export interface ReadinessSources {
  subgraphUrls: Record<SubgraphName, string>;
  /** The subgraphs' client (CA bundle, client certificate). */
  call?: HttpCaller;
  /** Per identity provider: whether its keys are known. */
  identity(): Record<string, 'keys loaded' | 'no keys'>;
  timeoutMs?: number;
}

export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const readiness: Readiness = { status: 'ready', degraded: [], subgraphs: {}, registries: {}, stores: {}, identity: sources.identity() };
  await Promise.all(
    Object.entries(sources.subgraphUrls).map(async ([name, url]) => {
      try {
        const res = await (sources.call ?? httpCall)(new URL('/healthz', url).href, {}, sources.timeoutMs ?? 1000);
        const health = (await res.json()) as { stores?: string; registry?: string };
        readiness.subgraphs[name] = res.ok ? 'up' : 'down';
        if (health.stores) readiness.stores[name] = health.stores;
        if (health.registry) readiness.registries[name] = health.registry;
      } catch {
        readiness.subgraphs[name] = 'down';
      }
    }),
  );
  const usable = Object.entries(readiness.subgraphs).filter(([name, state]) => state === 'up' && readiness.stores[name] !== 'down');
  for (const [name, state] of Object.entries(readiness.subgraphs)) if (state === 'down') readiness.degraded.push(`subgraph ${name} is down: its fields are missing from answers`);
  for (const [name, state] of Object.entries(readiness.stores)) if (state === 'down') readiness.degraded.push(`subgraph ${name} cannot reach its stores: it releases nothing`);
  for (const [name, state] of Object.entries(readiness.registries)) if (state !== 'closed') readiness.degraded.push(`registry of ${name}: circuit ${state}`);
  for (const [issuer, state] of Object.entries(readiness.identity)) if (state !== 'keys loaded') readiness.degraded.push(`identity provider ${issuer}: no keys, its tokens are refused`);
  const anyIssuer = Object.values(readiness.identity).some((s) => s === 'keys loaded');
  readiness.status = !usable.length || !anyIssuer ? 'not ready' : readiness.degraded.length ? 'degraded' : 'ready';
  return readiness;
}
