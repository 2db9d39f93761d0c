// What a decision may know about the person beyond the request: their consents. Read for
// all persons of a batch in one call, before anything is decided.
import type { ConsentRecord, ConsentStore } from '../consents/store.ts';

export interface PersonFacts {
  /** Every consent of the person, revoked and expired ones included. */
  consents: readonly ConsentRecord[];
}

/** Reads the facts of these persons in one round trip; rejects when the store cannot be read. */
export type PersonFactsReader = (persons: readonly string[]) => Promise<Map<string, PersonFacts>>;

export function personFactsReader(consents: ConsentStore): PersonFactsReader {
  return async (persons) => {
    const found = await consents.forPersons(persons);
    return new Map(persons.map((avs) => [avs, { consents: found.get(avs) ?? [] }]));
  };
}
