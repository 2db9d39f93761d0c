// In-memory case repertory: the embedded default (one process). A person never written to
// holds their seeded cases; the first change writes the seed and the change together.
import { CaseConflict, NO_SEED, type CaseRecord, type CaseRepertory, type CaseSeed } from './store.ts';
import type { Institution } from '../schema/catalogue.ts';

export class MemoryCaseRepertory implements CaseRepertory {
  private readonly byAvs = new Map<string, readonly CaseRecord[]>();
  /** `<institution>|<reference>` → the person it is open for (written cases only; seeds answer for themselves). */
  private readonly open = new Map<string, string>();

  constructor(private readonly seed: CaseSeed = NO_SEED) {}

  async openCase(c: { avs: string; institution: Institution; caseReference: string; on: string }): Promise<{ record: CaseRecord; changed: boolean }> {
    const holder = await this.holderOf(c.institution, c.caseReference);
    const mine = this.casesOf(c.avs);
    if (holder === c.avs) return { record: mine.find((r) => r.institution === c.institution && r.caseReference === c.caseReference && r.closedOn === null)!, changed: false };
    if (holder !== undefined) throw new CaseConflict(`The case reference "${c.caseReference}" is open at ${c.institution} for another person.`);
    const record: CaseRecord = Object.freeze({ avs: c.avs, institution: c.institution, caseReference: c.caseReference, openedOn: c.on, closedOn: null });
    this.write(c.avs, [...mine, record]);
    return { record, changed: true };
  }

  async closeCase(c: { avs: string; institution: Institution; caseReference: string; on: string }): Promise<CaseRecord> {
    const mine = this.casesOf(c.avs);
    const i = mine.findIndex((r) => r.institution === c.institution && r.caseReference === c.caseReference && r.closedOn === null);
    if (i < 0) throw new CaseConflict(`No case "${c.caseReference}" is open at ${c.institution} for this person.`);
    const closed: CaseRecord = Object.freeze({ ...mine[i]!, closedOn: c.on });
    this.write(c.avs, mine.map((r, k) => (k === i ? closed : r)));
    return closed;
  }

  async forPersons(avs: readonly string[]): Promise<Map<string, CaseRecord[]>> {
    return new Map(avs.map((a) => [a, [...this.casesOf(a)]]));
  }

  async holderOf(institution: Institution, caseReference: string): Promise<string | undefined> {
    const written = this.open.get(`${institution}|${caseReference}`);
    if (written !== undefined) return written;
    const seeded = this.seed.holderOf(institution, caseReference);
    // A seeded case counts only while its person's cases still say it is open.
    return seeded !== undefined && this.casesOf(seeded).some((r) => r.institution === institution && r.caseReference === caseReference && r.closedOn === null) ? seeded : undefined;
  }

  async persons(): Promise<string[]> {
    return [...new Set([...(this.seed.persons?.() ?? []), ...this.byAvs.keys()])];
  }

  async close(): Promise<void> {}

  private casesOf(avs: string): readonly CaseRecord[] {
    return this.byAvs.get(avs) ?? this.seed.casesOf(avs);
  }

  private write(avs: string, cases: readonly CaseRecord[]): void {
    for (const r of this.casesOf(avs)) this.open.delete(`${r.institution}|${r.caseReference}`);
    for (const r of cases) if (r.closedOn === null) this.open.set(`${r.institution}|${r.caseReference}`, avs);
    this.byAvs.set(avs, Object.freeze([...cases]));
  }
}
