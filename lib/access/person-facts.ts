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

/** The stores facts could not be read from: only the decisions that need them fail. */
export type UnreadableFacts = ReadonlySet<'consents' | 'cases'>;

/** Reads the facts of these persons from both stores at once; a store that fails is named, its part left empty. */
export type PersonFactsReader = (persons: readonly string[]) => Promise<{ facts: Map<string, PersonFacts>; unreadable: UnreadableFacts; reason?: string }>;

export function personFactsReader(consents: ConsentStore, cases: CaseRepertory): PersonFactsReader {
  return async (persons) => {
    const [c, k] = await Promise.allSettled([consents.forPersons(persons), cases.forPersons(persons)]);
    const unreadable = new Set<'consents' | 'cases'>();
    if (c.status === 'rejected') unreadable.add('consents');
    if (k.status === 'rejected') unreadable.add('cases');
    const reasons = [c, k].flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error)?.message ?? String(r.reason)] : []));
    const facts = new Map(
      persons.map((avs) => [avs, { consents: c.status === 'fulfilled' ? (c.value.get(avs) ?? []) : [], cases: k.status === 'fulfilled' ? (k.value.get(avs) ?? []) : [] }]),
    );
    return { facts, unreadable, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
  };
}
