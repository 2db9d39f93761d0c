// Measures funded by two institutions at the same time (e.g. an ORP course and an AI
// early-intervention measure): worth coordinating, sometimes worth avoiding.
import type { SignalRule } from '../inputs.ts';

export const doubleFunding: SignalRule = {
  id: 'double-funding',
  detect(periods) {
    const ac = periods.filter((p) => p.kind === 'LABOUR_MARKET_MEASURE');
    const ai = periods.filter((p) => p.kind === 'AI_MEASURE');
    const signals = [];
    for (const a of ac) {
      for (const b of ai) {
        const from = a.from > b.from ? a.from : b.from;
        const to = a.to! < b.to! ? a.to! : b.to!;
        if (from > to) continue;
        signals.push({
          rule: this.id,
          message: `"${a.label}" (ORP) and "${b.label}" (AI) are funded at the same time from ${from} to ${to}.`,
          from,
          to,
          categories: ['ac.measures', 'ai.measures'],
        });
      }
    }
    return signals;
  },
};
