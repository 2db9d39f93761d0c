// Prometheus metrics of the process (prom-client), served at /metrics. Labels are services,
// subgraphs, registries, categories, codes and outcomes: never anything about a person.
import client from 'prom-client';
import type { Decision } from '../access/decision.ts';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'ciigraph_process_' });

export const requestsTotal = new client.Counter({
  name: 'ciigraph_requests_total',
  help: 'GraphQL requests answered, by service and outcome (ok: no error; partial: data and errors; refused: nothing served).',
  labelNames: ['service', 'outcome'] as const,
  registers: [registry],
});

export const requestDuration = new client.Histogram({
  name: 'ciigraph_request_duration_seconds',
  help: 'Time to answer a GraphQL request, by service.',
  labelNames: ['service'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const errorsTotal = new client.Counter({
  name: 'ciigraph_errors_total',
  help: 'Errors in answers, by service and error code.',
  labelNames: ['service', 'code'] as const,
  registers: [registry],
});

/**
 * A subgraph's access decisions, counted in plain numbers as they are made (a labelled
 * counter per decision is work on the hot path) and handed to the counter below when
 * /metrics is read.
 */
export class DecisionCounts {
  /** "category|decision|reason" → decisions since the last scrape. */
  readonly counts = new Map<string, number>();
  constructor(readonly subgraph: string) {}
  count(decisions: readonly Decision[]): void {
    for (const d of decisions) {
      const key = `${d.category}|${d.allowed ? 'ALLOWED|' : `DENIED|${d.reason}`}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  }
}
const decisionCounts = new Map<string, DecisionCounts>();
export function decisionCountsOf(subgraph: string): DecisionCounts {
  let counts = decisionCounts.get(subgraph);
  if (!counts) decisionCounts.set(subgraph, (counts = new DecisionCounts(subgraph)));
  return counts;
}

/** Per subgraph, how many requests' decisions it keeps for a later call (read when scraped). */
const keptRequests = new Map<string, () => number>();
export function reportKeptRequests(subgraph: string, size: () => number): void {
  keptRequests.set(subgraph, size);
}
new client.Gauge({
  name: 'ciigraph_request_access_kept',
  help: "Requests whose access decisions a subgraph keeps for the gateway's next call to it.",
  labelNames: ['subgraph'] as const,
  registers: [registry],
  collect() {
    for (const [subgraph, size] of keptRequests) this.set({ subgraph }, size());
  },
});

export const decisionsTotal = new client.Counter({
  name: 'ciigraph_access_decisions_total',
  help: 'Access decisions journaled, by subgraph, data category, decision and reason of a denial.',
  labelNames: ['subgraph', 'category', 'decision', 'reason'] as const,
  registers: [registry],
  collect() {
    for (const { subgraph, counts } of decisionCounts.values()) {
      for (const [key, n] of counts) {
        const [category, decision, reason] = key.split('|') as [string, string, string];
        this.inc({ subgraph, category, decision, reason }, n);
      }
      counts.clear();
    }
  },
});

export const subgraphDuration = new client.Histogram({
  name: 'ciigraph_subgraph_request_duration_seconds',
  help: 'Gateway → subgraph call latency, by subgraph and outcome.',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const registryDuration = new client.Histogram({
  name: 'ciigraph_registry_request_duration_seconds',
  help: 'Subgraph → registry lookup latency, by registry and outcome.',
  labelNames: ['registry', 'outcome'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Times an async call into a histogram labelled with its outcome. */
export async function timed<T, L extends string>(h: client.Histogram<L>, labels: Partial<Record<L, string>>, call: () => Promise<T>): Promise<T> {
  const end = h.startTimer(labels);
  try {
    const r = await call();
    end({ outcome: 'ok' } as Partial<Record<L, string>>);
    return r;
  } catch (e) {
    end({ outcome: 'error' } as Partial<Record<L, string>>);
    throw e;
  }
}

export async function metricsRoute(_req: unknown, res: import('node:http').ServerResponse): Promise<void> {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
}

const fishingSignals = new client.Gauge({
  name: 'ciigraph_fishing_signals',
  help: "Requester-days of today flagged by each fishing signal rule, computed every few minutes and on each look at /policy/signals (no subject, no person).",
  labelNames: ['signal'] as const,
  registers: [registry],
});

/** Today's signals, counted per rule: an alert can page the DPO without naming anyone. */
export function fishingSignalsFound(signals: readonly { rule: string }[]): void {
  fishingSignals.reset();
  for (const s of signals) fishingSignals.inc({ signal: s.rule });
}
