// The situation of a person as the requester may see it: timeline, signals, and the
// categories used (each of which the requester was released).
import type { SituationInputs, SituationSignal, SupportPeriod } from './inputs.ts';
import { SIGNAL_RULES } from './signals/index.ts';
import { basedOn, timeline } from './timeline.ts';

export interface Situation {
  asOf: string;
  periods: SupportPeriod[];
  signals: SituationSignal[];
  basedOn: string[];
}

export function buildSituation(inputs: SituationInputs, today: string): Situation {
  const periods = timeline(inputs);
  return {
    asOf: today,
    periods,
    signals: SIGNAL_RULES.flatMap((rule) => rule.detect(periods, inputs, today)),
    basedOn: basedOn(inputs),
  };
}
