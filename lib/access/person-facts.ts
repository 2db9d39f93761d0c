// What a decision may know about the person beyond the request: their consents and the cases
// institutions hold for them. Read for all persons of a batch at once (both stores in the same
// turn: one round trip on a shared Redis), before anything is decided.
import type { CaseRecord, CaseRepertory } from '../cases/store.ts';
import type { ConsentRecord, ConsentStore } from '../consents/store.ts';

export interface PersonFacts {
  /** Every consent of the person, revoked and expired ones included. */
  consents: readonly ConsentRecord[];
  /** Every case of the person at any institution, closed ones included. */
  cases: readonly CaseRecord[];
}

/** A store the facts could not be read from: the decisions that needed them fail with its own error. */
export class FactsUnavailable extends Error {
  constructor(
    readonly store: 'consents' | 'cases',
    cause: unknown,
  ) {
    super(`the ${store} cannot be read: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Reads the facts of these persons; rejects with FactsUnavailable naming the store that failed. */
export type PersonFactsReader = (persons: readonly string[]) => Promise<Map<string, PersonFacts>>;

export function personFactsReader(consents: ConsentStore, cases: CaseRepertory): PersonFactsReader {
  return async (persons) => {
    const [c, k] = await Promise.all([
      consents.forPersons(persons).catch((e: unknown) => Promise.reject(new FactsUnavailable('consents', e))),
      cases.forPersons(persons).catch((e: unknown) => Promise.reject(new FactsUnavailable('cases', e))),
    ]);
    return new Map(persons.map((avs) => [avs, { consents: c.get(avs) ?? [], cases: k.get(avs) ?? [] }]));
  };
}
