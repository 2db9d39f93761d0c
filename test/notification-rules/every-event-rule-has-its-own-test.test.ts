// Like the policy's conditions: each event rule is one file in lib/notifications/rules/ with a
// test file of the same name here, and names a category of the catalogue for each source.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_RULES } from '../../lib/notifications/rules/index.ts';
import { loadCatalogue } from '../../lib/schema/catalogue.ts';

const dir = new URL('../../lib/notifications/rules/', import.meta.url);

describe('event rules', () => {
  it('are one file each, each with its own test', () => {
    const files = readdirSync(dir).filter((f) => !['rule.ts', 'index.ts'].includes(f));
    expect(files.sort()).toEqual(EVENT_RULES.map((r) => `${r.id}.ts`).sort());
    for (const r of EVENT_RULES) expect(existsSync(new URL(`./${r.id}.test.ts`, import.meta.url)), r.id).toBe(true);
  });
  it('each name, per source institution, a category of that institution in the catalogue, and say what they notice', () => {
    const catalogue = loadCatalogue();
    for (const r of EVENT_RULES) {
      expect(Object.keys(r.sources).length, r.id).toBeGreaterThan(0);
      expect(r.description.length, r.id).toBeGreaterThan(20);
      for (const [institution, category] of Object.entries(r.sources)) expect(catalogue.byId.get(category!)?.institution, `${r.id} ${institution}`).toBe(institution);
    }
  });
});
