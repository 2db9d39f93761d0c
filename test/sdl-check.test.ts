// An institution's SDL change is checked against the others: composition errors, breaking
// changes and category changes are named.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSubgraphSdl, formatReport } from '../lib/schema/sdl-check.ts';
import { subgraphSchemaPath } from '../lib/schema/subgraph-sdl.ts';

const original = readFileSync(subgraphSchemaPath('unemployment'), 'utf8');
const variant = (edit: (sdl: string) => string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'ciigraph-sdl-')), 'schema.graphql');
  writeFileSync(file, edit(original));
  return file;
};

describe('the SDL check of npm run dev', () => {
  it('finds nothing in the committed SDL', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ciigraph-sdl-')), 'schema.graphql');
    copyFileSync(subgraphSchemaPath('unemployment'), file);
    const r = checkSubgraphSdl('unemployment', file);
    expect(r).toMatchObject({ ok: true, compositionErrors: [], breaking: [], categoryChanges: [], categoryProblems: [] });
    expect(formatReport(r)).toMatch(/no change/);
  });

  it('names a removed field and a changed type as breaking', () => {
    const r = checkSubgraphSdl('unemployment', variant((s) => s.replace(/  "The ORP the person is registered with."\n  office: String! @category\(id: "ac.registration"\)\n/, '').replace('entitledDays: Int!', 'entitledDays: String!')));
    expect(r.ok).toBe(false);
    expect(r.breaking).toContain('UnemploymentFile.office was removed.');
    expect(r.breaking.some((b) => /DailyAllowanceEntitlement.entitledDays changed type from Int! to String!/.test(b))).toBe(true);
    expect(r.categoryChanges).toContain('UnemploymentFile.office: removed (was ac.registration)');
  });

  it('flags a category change for DPO review, and a new field without category as a problem', () => {
    const moved = checkSubgraphSdl('unemployment', variant((s) => s.replace('measures: [LabourMarketMeasure!] @category(id: "ac.measures")', 'measures: [LabourMarketMeasure!] @category(id: "ac.registration")')));
    expect(moved.categoryChanges).toContain('UnemploymentFile.measures: category ac.measures → ac.registration');
    expect(moved.breaking).toEqual([]);
    expect(formatReport(moved)).toMatch(/data-protection officer must review/);
    const untagged = checkSubgraphSdl('unemployment', variant((s) => s.replace('type UnemploymentFile {', 'type UnemploymentFile {\n  nickname: String')));
    expect(untagged.ok).toBe(false);
    expect(untagged.categoryProblems).toContain('UnemploymentFile.nickname carries personal data but has no @category');
  });

  it('names composition errors', () => {
    const r = checkSubgraphSdl('unemployment', variant((s) => s.replace('type Person @key(fields: "avs")', 'type Person @key(fields: "nope")')));
    expect(r.compositionErrors.length).toBeGreaterThan(0);
    expect(r.compositionErrors.join('\n')).toMatch(/nope/);
    expect(formatReport(r)).toMatch(/DOES NOT COMPOSE/);
  });
});
