// The access decisions of one subgraph request. One decision per person × category, made
// once and remembered; consents read in one batch for all persons of the request; every
// decision journaled before it is acted upon. If the log or the consent store fails, the
// decision fails, and so does every field that depends on it: fail closed.
import { Decider, decidesAlike, type Decision } from '../../lib/access/decide.ts';
import type { RequestFacts } from '../../lib/access/conditions/index.ts';
import type { Policy, Release } from '../../lib/access/policy.ts';
import type { Requester } from '../../lib/access/requester.ts';
import type { AuditBatcher } from '../../lib/audit/batcher.ts';
import { sameList, sharePersons, type EntryGroup, type EntryItem, type EntryRun } from '../../lib/audit/chain.ts';
import { isoDate, type Clock } from '../../lib/clock.ts';
import type { ConsentRecord, ConsentStore } from '../../lib/consents/store.ts';
import { errors } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import { decisionCountsOf, type DecisionCounts } from '../../lib/observability/metrics.ts';

export interface AccessDeps {
  policy: Policy;
  consents: ConsentStore;
  audit: AuditBatcher;
  clock: Clock;
}

/** What is known of one decision: made, failed (the error every field that depends on it gets), or undefined (not yet). */
export type Outcome = Decision | Error | undefined;

/** Whether an outcome releases the data: made, and allowed. */
export const isReleased = (outcome: Outcome): boolean => outcome !== undefined && !(outcome instanceof Error) && outcome.allowed;

/** What enforcement asks of a request's access decisions. */
export interface AccessDecisions {
  readonly requester: Requester;
  /** The decision for this person and category, if made (or failed) already: read synchronously. */
  outcome(avs: string, category: string): Outcome;
  /** The same, by the category's slot (categorySlot): what a guarded field asks, thousands of times per caseload. */
  outcomeAt(avs: string, slot: number): Outcome;
  /**
   * Resolves (never rejects) once the decisions for this person and these categories are made
   * or failed. `under`: the categories selected under the field being decided, decided in the
   * same batch (one journal record) if, and only if, that field's category is allowed: nothing
   * under a denied field is decided or logged.
   */
  decided(avs: string, categories: readonly string[], under?: readonly string[]): Promise<void>;
  /** Those of these categories released for this person (decided already): the list itself if all are. */
  released(avs: string, categories: readonly string[]): readonly string[];
}

const DONE: Promise<void> = Promise.resolve();

/**
 * Releases everything, decides and journals nothing. Only for the benchmark's baseline (the
 * same stack without the policy's cost): reachable from the composition root's options,
 * never from configuration.
 */
export class UnenforcedAccess implements AccessDecisions {
  private static readonly RELEASED: Decision = { allowed: true, legalBasis: 'enforcement off (benchmark baseline)' };
  constructor(readonly requester: Requester) {}
  outcome(): Decision {
    return UnenforcedAccess.RELEASED;
  }
  outcomeAt(): Decision {
    return UnenforcedAccess.RELEASED;
  }
  decided(): Promise<void> {
    return DONE;
  }
  released(_avs: string, categories: readonly string[]): readonly string[] {
    return categories;
  }
}

/**
 * The persons asked for one category in one turn, with what is selected under the field that
 * asked (the same list for a whole caseload): decided as a column, so a rule that decides alike
 * for everyone (no rule, never, a legal basis that does not read the person) is applied once
 * for the column, not once per person.
 */
class Part {
  readonly persons: string[] = [];
  /** Each person's slot array (where the outcome goes). */
  readonly owners: Slot[][] = [];
  /** Set by decideAndJournal: the one decision of all (alike), or each person's. */
  alike: Decision | undefined;
  each: (Decision | Error)[] | undefined;
  constructor(
    readonly category: string,
    /** The category's column in this request's slot arrays (see RequestAccess.columnOf). */
    readonly column: number,
    /** The categories to decide next for a person if this one is allowed (see decided). */
    readonly under: readonly string[] | undefined,
  ) {}
}

/** The decisions asked for in one turn: made and journaled together, one consent read, one append. */
class Batch {
  readonly parts: Part[] = [];
  /** Parts before this index are being or have been decided: nothing joins them any more. */
  private open = 0;
  /** The part added to last: a caseload adds its persons to the same part one after the other. */
  private last: Part | undefined;
  done!: Promise<void>;

  add(avs: string, category: string, column: number, owner: Slot[], under: readonly string[] | undefined): void {
    let part = this.last;
    if (part === undefined || part.column !== column || part.under !== under) part = this.partFor(category, column, under);
    part.persons.push(avs);
    part.owners.push(owner);
    owner[column] = this;
  }

  /** Closes the parts up to this one: what joins the batch from now on goes into later parts. */
  seal(upTo: number): void {
    this.open = upTo + 1;
    this.last = undefined;
  }

  private partFor(category: string, column: number, under: readonly string[] | undefined): Part {
    let part: Part | undefined;
    for (let p = this.open; p < this.parts.length && !part; p++) if (this.parts[p]!.column === column && sameCategories(this.parts[p]!.under, under)) part = this.parts[p];
    if (!part) this.parts.push((part = new Part(category, column, under)));
    return (this.last = part);
  }
}

/** A person's decisions in a request, by category slot: made, failed, or waiting in a batch. */
type Slot = Decision | Error | Batch | undefined;

export class RequestAccess implements AccessDecisions {
  /**
   * Per person, one slot per category (see categorySlot): no key strings, no promise per decision.
   * A request's decisions are kept for a while (RequestAccessCache), so they are kept small.
   */
  private readonly slots = new Map<string, Slot[]>();
  /** The person outcomeAt read last, and their slot array (see outcomeAt). */
  private lastPerson: string | undefined;
  private lastSlots: Slot[] | undefined;
  private gathering: Batch | undefined;
  /** The consents read so far in this request, by person. */
  private readonly consents = new Map<string, readonly ConsentRecord[]>();
  private readonly decider: Decider;
  private readonly counts: DecisionCounts;
  /** By category slot: its column in the persons' slot arrays (see columnOf). */
  private readonly columns: number[] = [];
  private width = 0;
  /** The list of categories anyNeedsConsents was asked about last, and its answer (the same list for a whole caseload). */
  private anyNeedsOf: readonly string[] | undefined;
  private anyNeeds = false;
  /** By column: the rule that applies to its category, looked up once per request (see releaseAt); null: none. */
  private readonly releases: (Release | null | undefined)[] = [];

  constructor(
    private readonly deps: AccessDeps,
    readonly requester: Requester,
    readonly facts: RequestFacts,
    private readonly subgraph: string,
    private readonly requestId: string,
  ) {
    this.decider = new Decider(deps.policy, requester, facts, isoDate(deps.clock.now()));
    this.counts = decisionCountsOf(subgraph);
  }

  outcome(avs: string, category: string): Outcome {
    return this.outcomeAt(avs, categorySlot(category));
  }

  outcomeAt(avs: string, slot: number): Outcome {
    const column = this.columns[slot];
    if (column === undefined) return undefined;
    // graphql-js resolves an object's fields one after the other: the same person, many times.
    // (A person's array, once made, stays the same array; until then, look again.)
    if (avs !== this.lastPerson || this.lastSlots === undefined) {
      this.lastPerson = avs;
      this.lastSlots = this.slots.get(avs);
    }
    const s = this.lastSlots?.[column];
    return s instanceof Batch ? undefined : s;
  }

  released(avs: string, categories: readonly string[]): readonly string[] {
    const slots = slotsOf(categories);
    let some: string[] | undefined;
    for (let k = 0; k < categories.length; k++) {
      const yes = isReleased(this.outcomeAt(avs, slots[k]!));
      if (!yes && some === undefined) some = categories.slice(0, k);
      else if (yes && some !== undefined) some.push(categories[k]!);
    }
    return some ?? categories;
  }

  /**
   * Where a category's outcome sits in a person's slot array: columns are given in the order
   * the request asks for categories, so each person's array is as short as the categories
   * this subgraph decides (indexing by the process-wide slot left arrays of 20-odd holes, kept
   * per person for as long as the request's decisions are: 100 KiB per 200-person caseload).
   */
  private columnOf(slot: number): number {
    let column = this.columns[slot];
    if (column === undefined) this.columns[slot] = column = this.width++;
    return column;
  }

  decided(avs: string, categories: readonly string[], under?: readonly string[]): Promise<void> {
    let mine = this.slots.get(avs);
    // Sized for the categories asked so far and a few more: an empty array grows to 17 places.
    if (!mine) this.slots.set(avs, (mine = new Array<Slot>(this.width + 4).fill(undefined)));
    let wait: Promise<void> | undefined;
    const slots = slotsOf(categories);
    for (let k = 0; k < categories.length; k++) {
      const category = categories[k]!;
      const column = this.columnOf(slots[k]!);
      let slot = mine[column];
      if (slot === undefined) {
        slot = this.gathering ?? this.gather();
        slot.add(avs, category, column, mine, under?.length ? under : undefined);
      }
      if (slot instanceof Batch && slot.done !== wait) wait = wait === undefined ? slot.done : Promise.all([wait, slot.done]).then(() => {});
    }
    return wait ?? DONE;
  }

  /**
   * Opens the batch of this turn. It is decided once every resolver that runs now, and every
   * promise reaction queued now, had its say (the moment DataLoader would dispatch), so the
   * file fields of a whole caseload go in one batch.
   */
  private gather(): Batch {
    const batch = new Batch();
    batch.done = new Promise<void>((resolve) => {
      void Promise.resolve().then(() =>
        process.nextTick(() => {
          this.gathering = undefined;
          resolve(this.decideAndJournal(batch));
        }),
      );
    });
    this.gathering = batch;
    return batch;
  }

  /**
   * Decides a batch: the consents of the persons whose categories need one, read in one call;
   * then every decision, journaled in one append (one group of entries) before any is
   * released. A consent store that cannot be read fails the decisions that needed it; a log
   * that cannot be written fails all. Never rejects: each slot ends a Decision or an Error.
   */
  private async decideAndJournal(batch: Batch): Promise<void> {
    const reading = this.readConsents(batch);
    const consentsUnavailable = reading && (await reading);
    const items: EntryItem[] = [];
    const { parts } = batch;
    // What is selected under an allowed field joins the batch as later parts: decided in this loop.
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      batch.seal(p);
      const release = this.releaseAt(part.column, part.category);
      if (decidesAlike(release)) {
        // One decision, one run of AVS numbers in the journal, for the whole column.
        const d = this.decider.decideUnder(release, part.persons[0]!, part.category, NO_CONSENTS);
        part.alike = d;
        items.push(d.allowed ? [part.category, 'ALLOWED', d.legalBasis!, null, part.persons] : [part.category, 'DENIED', null, null, part.persons]);
        if (d.allowed && part.under) this.addUnder(batch, part);
      } else {
        part.each = this.decideEach(part, release!, consentsUnavailable, items);
        if (part.under) this.addUnder(batch, part);
      }
    }
    // A caseload's categories decided alike for the same persons: their list is written once.
    sharePersons(items);

    const { institution, role, subject } = this.requester;
    const group: EntryGroup = [
      this.deps.clock.now().toISOString(),
      institution,
      role,
      subject,
      this.facts.purpose ?? null,
      this.facts.caseReference ?? null,
      this.subgraph,
      this.requestId,
      items,
    ];
    let journaled = true;
    try {
      if (items.length > 0) await this.deps.audit.append([group]);
    } catch (e) {
      log.error({ service: this.subgraph, reason: (e as Error).message }, 'access log unavailable');
      journaled = false;
    }
    const unavailable = journaled ? undefined : errors.auditUnavailable();
    for (const { owners, column, category, alike, each } of parts) {
      let allowed = 0;
      let denied = 0;
      for (let i = 0; i < owners.length; i++) {
        const outcome = unavailable ?? alike ?? each![i]!;
        owners[i]![column] = outcome;
        if (outcome instanceof Error) continue;
        if (outcome.allowed) allowed++;
        else denied++;
      }
      if (allowed + denied > 0) this.counts.add(category, allowed, denied);
    }
  }

  /**
   * Each person's decision on a part whose rule reads the person or their consents. Persons
   * decided alike are journaled as one run: releases by consent as one run per category, with
   * each person's consent id.
   */
  private decideEach(part: Part, release: Release, consentsUnavailable: Error | undefined, items: EntryItem[]): (Decision | Error)[] {
    const { persons, category } = part;
    const byConsent = release.kind === 'consent';
    const each: (Decision | Error)[] = new Array(persons.length);
    /** Legal basis ('' for a denial, BY_CONSENT) → the run of persons with that decision. */
    const runs = new Map<string | typeof BY_CONSENT, EntryRun>();
    for (let i = 0; i < persons.length; i++) {
      const avs = persons[i]!;
      let theirs: readonly ConsentRecord[] = NO_CONSENTS;
      if (byConsent) {
        const read = this.consents.get(avs);
        if (!read) {
          each[i] = consentsUnavailable ?? errors.consentStoreUnavailable();
          continue;
        }
        theirs = read;
      }
      const d = this.decider.decideUnder(release, avs, category, theirs);
      each[i] = d;
      const consentId = d.allowed ? d.consentId : undefined;
      const key = !d.allowed ? '' : consentId !== undefined ? BY_CONSENT : d.legalBasis!;
      let run = runs.get(key);
      if (!run) {
        run = !d.allowed ? [category, 'DENIED', null, null, []] : consentId !== undefined ? [category, 'ALLOWED', null, [], []] : [category, 'ALLOWED', d.legalBasis!, null, []];
        runs.set(key, run);
        items.push(run);
      }
      if (consentId !== undefined) (run[3] as string[]).push(consentId);
      (run[4] as string[]).push(avs);
    }
    return each;
  }

  /** What is selected under a part's field joins the batch for the persons it was allowed for, where not decided yet. */
  private addUnder(batch: Batch, { under, persons, owners, alike, each }: Part): void {
    const slots = slotsOf(under!);
    for (let k = 0; k < under!.length; k++) {
      const category = under![k]!;
      const column = this.columnOf(slots[k]!);
      for (let i = 0; i < persons.length; i++) {
        if (!alike && !isReleased(each![i])) continue;
        if (owners[i]![column] === undefined) batch.add(persons[i]!, category, column, owners[i]!, undefined);
      }
    }
  }

  /** The rule for this category (in this column), looked up once per request and category. */
  private releaseAt(column: number, category: string): Release | undefined {
    let release = this.releases[column];
    if (release === undefined) this.releases[column] = release = this.decider.releaseOf(category) ?? null;
    return release ?? undefined;
  }

  /** Whether deciding this category (in this column) needs the person's consents. */
  private needsConsents(column: number, category: string): boolean {
    return this.releaseAt(column, category)?.kind === 'consent';
  }

  /** Whether deciding any of these categories needs consents: asked per person of a caseload, of the same list each time. */
  private anyNeedsConsents(categories: readonly string[]): boolean {
    if (categories !== this.anyNeedsOf) {
      const slots = slotsOf(categories);
      this.anyNeeds = categories.some((c, k) => this.needsConsents(this.columnOf(slots[k]!), c));
      this.anyNeedsOf = categories;
    }
    return this.anyNeeds;
  }

  /**
   * Reads, in one call, the consents this batch needs and this request has not read yet; the
   * error if the store failed. Nothing to read (a batch of legal-basis categories only, or
   * consents read earlier in the request): no promise to wait for before deciding.
   */
  private readConsents({ parts }: Batch): Promise<Error | undefined> | undefined {
    let missing: Set<string> | undefined;
    for (const { persons, column, category, under } of parts) {
      // Also for what may be decided under it: read now, in the same call, and used only if it is.
      if (!this.needsConsents(column, category) && !(under !== undefined && this.anyNeedsConsents(under))) continue;
      for (const avs of persons) if (!this.consents.has(avs)) (missing ??= new Set()).add(avs);
    }
    return missing && this.readMissing(missing);
  }

  private async readMissing(missing: Set<string>): Promise<Error | undefined> {
    try {
      const found = await this.deps.consents.forPersons([...missing]);
      for (const avs of missing) this.consents.set(avs, found.get(avs) ?? NO_CONSENTS);
      return undefined;
    } catch (e) {
      log.error({ service: this.subgraph, reason: (e as Error).message }, 'consent store unavailable');
      return errors.consentStoreUnavailable();
    }
  }
}

/**
 * A small number per category id: a person's decisions in a request are an array indexed by
 * it. Bounded by the categories the schema declares.
 */
const slots = new Map<string, number>();
export function categorySlot(category: string): number {
  let slot = slots.get(category);
  if (slot === undefined) slots.set(category, (slot = slots.size));
  return slot;
}

/**
 * The slots of a list of categories, by the list: the lists enforcement passes (a field's
 * own category, what is selected under it) are made once per field or selection and passed
 * for every person of a caseload.
 */
const slotLists = new WeakMap<readonly string[], readonly number[]>();
function slotsOf(categories: readonly string[]): readonly number[] {
  let slots = slotLists.get(categories);
  if (!slots) slotLists.set(categories, (slots = categories.map(categorySlot)));
  return slots;
}

/** The same list of categories under a field, or none for both. */
const sameCategories = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && sameList(a, b));

const NO_CONSENTS: readonly ConsentRecord[] = Object.freeze([]);
/** The key of a category's run of releases by consent (no legal basis can be it). */
const BY_CONSENT = Symbol('released by consent');
