// Mock registry data of __TITLE__ (__INSTITUTION__): the fixed scenario persons' files and a
// deterministic generated file for every other AVS number (same number, same data, in any
// process). The lookup handler is the shared one (mocks/handlers.ts serves every registry of
// REGISTRY_SUBGRAPHS at its REGISTRY_PATHS entry); only the data is the institution's.
import type { __TYPE__Record } from '../subgraphs/__NAME__/registry.ts';

/** The mock store holds whole files; the handler cuts them down to the sections asked. */
export type __TYPE__MockFile = Required<__TYPE__Record>;

/**
 * Scenario persons (CONTRACT.md section 5, keyed by canonical AVS) with a file here. The
 * scenarios are part of the contract: add one only with a note in CHANGELOG.md.
 */
export const scenario__TYPE__Files: ReadonlyMap<string, __TYPE__MockFile> = new Map();

const OFFICES = ['Office A (Genève)', 'Office B (Lausanne)', 'Office C (Sion)'] as const;
const CASE_WORKERS = ['Ana Silva', 'Luca Bernasconi', 'Nadia Haddad', 'Jonas Keller'] as const;
const MEASURES = [
  { kind: 'COURSE', title: 'Language course (French A2)' },
  { kind: 'COACHING', title: 'Individual coaching' },
  { kind: 'PLACEMENT', title: 'Work placement' },
] as const;

/** FNV-1a: a stable seed from the AVS digits and this registry's own stream. */
function seed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const DAY_MS = 86_400_000;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** The mocks' "today" (mocks/dates.ts MOCK_TODAY): every event lies on or before it. */
const TODAY = Math.round(Date.parse('2026-11-20T00:00:00Z') / DAY_MS);

/** The file of a generated person (about 1 in 10 has one), or null. A pure function of the AVS digits. */
export function generate__TYPE__File(avs: string): __TYPE__MockFile | null {
  let state = seed(`${avs.replace(/\D/g, '')}/__PREFIX__`);
  const next = () => {
    // xorshift32: enough for mock data, and independent of the other registries' streams.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  if (next() >= 0.1) return null;
  const opened = TODAY - 30 - Math.floor(next() * 1200);
  const measures = Array.from({ length: Math.floor(next() * 3) }, (_, i) => {
    const from = opened + 14 + i * 120;
    const m = pick(MEASURES);
    return { kind: m.kind, title: m.title, from: isoDay(Math.min(from, TODAY)), to: next() < 0.3 ? null : isoDay(from + 90) };
  });
  return {
    avs,
    file: { openedOn: isoDay(opened), office: pick(OFFICES), caseWorker: pick(CASE_WORKERS) },
    measures,
  };
}
