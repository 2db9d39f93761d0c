// Detection: an institution's subgraph compares what its registry holds now on some persons
// with what it noted last time, and hands the events to delivery. Two ways in: a registry that
// can push names the persons whose files changed (the subgraph's ingest endpoint), and for the
// others a scheduled comparison over the repertory's persons. Either way only persons who are an
// open case at that institution and at another one are looked at: a change nobody else could be
// told of is not even noticed, and the registry is asked about the institution's own cases only.
// One batched registry call per comparison.
import type { CaseRecord, CaseRepertory } from '../cases/store.ts';
import { isoDate } from '../clock.ts';
import type { Institution } from '../schema/catalogue.ts';
import { deliverEvents, type DeliveryDeps, type DeliveryOutcome } from './deliver.ts';
import { detectEvents } from './detect.ts';
import { NO_FILE, type Observation } from './observation.ts';

/** At most this many persons per registry call (the registries' batch bound). */
export const MAX_PERSONS_PER_CALL = 1000;

/** An institution's registry as its subgraph observes it. */
export interface WatchedRegistry {
  institution: Institution;
  /** The subgraph that observes it (journaled with each delivery). */
  subgraph: string;
  /** The observations of these persons, in one registry call; a person without a file there is absent. */
  observe(avs: readonly string[]): Promise<Map<string, Observation>>;
}

export interface WatchDeps extends DeliveryDeps {
  cases: CaseRepertory;
}

export interface Comparison extends DeliveryOutcome {
  /** Persons compared (looked up at the registry). */
  compared: number;
}

/** Whether a change at `institution` could concern anyone: open there and open somewhere else. */
export const watchedAt = (cases: readonly CaseRecord[], institution: Institution): boolean =>
  cases.some((c) => c.closedOn === null && c.institution === institution) && cases.some((c) => c.closedOn === null && c.institution !== institution);

/** Compares these persons (at most MAX_PERSONS_PER_CALL) at one registry and delivers what changed. */
export async function compare(watched: WatchedRegistry, persons: readonly string[], deps: WatchDeps): Promise<Comparison> {
  const unique = [...new Set(persons)];
  if (unique.length > MAX_PERSONS_PER_CALL) throw new Error(`at most ${MAX_PERSONS_PER_CALL} persons per comparison, got ${unique.length}`);
  const cases = await deps.cases.forPersons(unique);
  const candidates = unique.filter((avs) => watchedAt(cases.get(avs) ?? [], watched.institution));
  if (candidates.length === 0) return { compared: 0, events: 0, delivered: [], denied: 0 };
  const [previous, found] = await Promise.all([deps.store.observations(watched.institution, candidates), watched.observe(candidates)]);
  const current = new Map(candidates.map((avs) => [avs, found.get(avs) ?? NO_FILE]));
  const events = detectEvents(watched.institution, candidates, previous, current, isoDate(deps.clock.now()));
  const outcome = await deliverEvents(events, deps, watched.subgraph);
  // Noted only once delivered: a failed delivery is noticed again at the next comparison.
  await deps.store.observe(watched.institution, current);
  return { compared: candidates.length, ...outcome };
}

/**
 * The scheduled comparison: each run takes the repertory's persons watched at this institution,
 * up to one registry call's worth, the next ones at the next run.
 */
export class Scanner {
  private offset = 0;

  constructor(
    private readonly watched: WatchedRegistry,
    private readonly deps: WatchDeps,
  ) {}

  async run(): Promise<Comparison> {
    const everyone = (await this.deps.cases.persons()).sort();
    const cases = await this.deps.cases.forPersons(everyone);
    const watched = everyone.filter((avs) => watchedAt(cases.get(avs) ?? [], this.watched.institution));
    if (this.offset >= watched.length) this.offset = 0;
    const batch = watched.slice(this.offset, this.offset + MAX_PERSONS_PER_CALL);
    this.offset += batch.length;
    return compare(this.watched, batch, this.deps);
  }
}
