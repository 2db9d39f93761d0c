// The fishing-signal metric follows the log every few minutes, not only when the DPO looks.
import { describe, expect, it } from 'vitest';
import { MemoryAuditLog } from '../../lib/audit/memory.ts';
import { MemoryConsentStore } from '../../lib/consents/memory.ts';
import { registry } from '../../lib/observability/metrics.ts';
import { refreshFishingSignals } from '../../lib/supervision/refresh.ts';
import { DEFAULT_FISHING_THRESHOLDS } from '../../lib/supervision/thresholds.ts';
import { avsN, read } from './support.ts';

describe('the fishing-signal metric', () => {
  it("counts today's flagged requester-days per rule on its own schedule", async () => {
    const log = new MemoryAuditLog();
    const now = new Date();
    const at = now.toISOString();
    await log.append([1, 2, 3, 4].map((n) => { const { id: _, ...e } = read(avsN(n), { at, decision: 'DENIED', reason: 'NO_OPEN_CASE', legalBasis: null }); return e; }));
    const stop = refreshFishingSignals({ log, consents: new MemoryConsentStore(), thresholds: DEFAULT_FISHING_THRESHOLDS, clock: { now: () => now }, everyMs: 20 });
    try {
      await expect.poll(async () => (await registry.metrics()).match(/ciigraph_fishing_signals\{signal="readsOutsideAnyCase"\} (\d+)/)?.[1], { timeout: 5000 }).toBe('1');
    } finally {
      stop();
    }
  });
});
