// Keeps the fishing-signal metric current without the DPO looking: today's signals, computed
// from the log every few minutes in the process that serves the DPO's pages.
import type { AuditLog } from '../audit/log.ts';
import { isoDate, type Clock } from '../clock.ts';
import type { ConsentStore } from '../consents/store.ts';
import { errorFields, log } from '../log.ts';
import { fishingSignalsFound } from '../observability/metrics.ts';
import { readFishingSignals } from './fishing.ts';
import type { FishingThresholds } from './thresholds.ts';

export const SIGNALS_REFRESH_MS = 10 * 60_000;

/** Starts the refresh; the returned function stops it. A failed run is logged and the metric left as it was. */
export function refreshFishingSignals(opts: { log: AuditLog; consents: ConsentStore; thresholds: FishingThresholds; clock: Clock; everyMs?: number }): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const today = isoDate(opts.clock.now());
      const report = await readFishingSignals(opts.log, opts.consents, { from: today, to: today }, opts.thresholds);
      fishingSignalsFound(report.signals);
    } catch (e) {
      log.warn({ service: 'gateway', task: 'fishing signals', ...errorFields(e) }, 'fishing signals not refreshed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, opts.everyMs ?? SIGNALS_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
