// Stage 1 of a decision: gathers what a subgraph request asks, a person's data of one
// category with what is selected under that field, and hands everything asked in one turn
// to the next stage as one batch (DataLoader's tick: the file fields of a whole caseload are
// asked in the same turn). It decides nothing.
import DataLoader from 'dataloader';
import type { Ask, Decision } from '../../lib/access/decision.ts';

/** An ask made by a field, with the categories selected under it (decided with it, if it is released). */
export interface FieldAsk extends Ask {
  under: readonly string[];
}

/** What a batch answers for each ask: the decision, or why none could be made (a store or the log failed). */
export type Outcome = Decision | Error;

export class AskCollector {
  private readonly loader: DataLoader<FieldAsk, Decision, string>;

  /** `decideBatch` answers every ask of a batch, in order. */
  constructor(decideBatch: (asks: readonly FieldAsk[]) => Promise<Outcome[]>) {
    // Cached by person and category: a second ask in the same or a later turn waits for the first.
    this.loader = new DataLoader<FieldAsk, Decision, string>((asks) => decideBatch(asks), { cacheKeyFn: (a) => `${a.avs}\u0000${a.category}` });
  }

  /** The decision on this ask, once its batch is decided and journaled; rejects with the failure if none could be made. */
  collect(ask: FieldAsk): Promise<Decision> {
    return this.loader.load(ask);
  }
}
